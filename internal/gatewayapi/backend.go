package gatewayapi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// appProtocolH2C is the Kubernetes standard appProtocol for HTTP/2 cleartext.
const appProtocolH2C = "kubernetes.io/h2c"

// backendFrom is the route a backendRef belongs to.
type backendFrom struct {
	kind      string
	namespace string
}

// weightedBackend is one resolved backendRef of a rule, with the header
// modifications of its filters (HTTPRoute and GRPCRoute backendRefs).
type weightedBackend struct {
	cluster         string
	weight          uint32
	err             *routeError
	requestHeaders  *ir.HeaderModifier
	responseHeaders *ir.HeaderModifier
}

// resolveBackend resolves a backendRef to the cluster of a Service port. The
// checks run in the order Gateway API prescribes: kind, permission, existence.
func (t *translator) resolveBackend(from backendFrom, ref *gwapiv1.BackendObjectReference) (string, *routeError) {
	group, kind := "", kindService
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	if group != "" || kind != kindService {
		return "", errorf(gwapiv1.RouteReasonInvalidKind, "backendRef %s/%s %q is not supported (only core Services are)", group, kind, ref.Name)
	}
	ns := from.namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	key := keyOf(ns, string(ref.Name))
	fromRef := objectRef{group: gwapiv1.GroupName, kind: from.kind, namespace: from.namespace}
	if !t.refAllowed(fromRef, objectRef{kind: kindService, namespace: ns, name: string(ref.Name)}) {
		return "", errorf(gwapiv1.RouteReasonRefNotPermitted, "backendRef to Service %s is not permitted by any ReferenceGrant", key)
	}
	svc := t.service(key)
	if svc == nil {
		return "", errorf(gwapiv1.RouteReasonBackendNotFound, "Service %s not found", key)
	}
	if ref.Port == nil {
		return "", errorf(gwapiv1.RouteReasonBackendNotFound, "backendRef to Service %s must set a port", key)
	}
	if *ref.Port < 1 || *ref.Port > 65535 {
		return "", errorf(gwapiv1.RouteReasonBackendNotFound, "backendRef to Service %s has port %d, out of range 1-65535", key, *ref.Port)
	}
	sp := servicePort(svc, *ref.Port)
	if sp == nil && svc.Spec.Type != corev1.ServiceTypeExternalName {
		return "", errorf(gwapiv1.RouteReasonBackendNotFound, "Service %s has no port %d", key, *ref.Port)
	}
	if err := checkExternalName(svc); err != nil {
		return "", errorf(gwapiv1.RouteReasonBackendNotFound, "Service %s: %s", key, err)
	}
	name := t.cluster(svc, sp, *ref.Port, from.kind == kindGRPCRoute)
	t.usedCluster(t.clusters[name])
	return name, nil
}

// checkExternalName rejects the externalName of an ExternalName Service
// that Envoy could not resolve: not a lower-case RFC 1123 hostname (IPv4
// addresses are such names).
func checkExternalName(svc *corev1.Service) error {
	name := svc.Spec.ExternalName
	if svc.Spec.Type != corev1.ServiceTypeExternalName || name == "" {
		return nil
	}
	if errs := validation.IsDNS1123Subdomain(strings.TrimSuffix(name, ".")); len(errs) > 0 {
		return fmt.Errorf("externalName %q is not a valid hostname: %s", name, strings.Join(errs, ", "))
	}
	return nil
}

func servicePort(svc *corev1.Service, port int32) *corev1.ServicePort {
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == port {
			return &svc.Spec.Ports[i]
		}
	}
	return nil
}

// clusterName is the stable name of the cluster of one Service port.
func clusterName(namespace, name string, port int32) string {
	return "service/" + namespace + "/" + name + "/" + strconv.Itoa(int(port))
}

// cluster returns the name of the cluster of a Service port, building the
// cluster the first time. A cluster built equal to the memo's last call's
// is that one, so that the xDS translator sees the same IR cluster and
// skips what it built for it. sp is nil for an ExternalName Service
// without ports. The cluster speaks HTTP/2 when the port's appProtocol says h2c, or
// when http2 is set (gRPC backends): then, for a port that does not say
// so, it is a cluster of its own, named with the suffix "/h2c".
func (t *translator) cluster(svc *corev1.Service, sp *corev1.ServicePort, port int32, http2 bool) string {
	name := clusterName(svc.Namespace, svc.Name, port)
	h2c := sp != nil && sp.AppProtocol != nil && *sp.AppProtocol == appProtocolH2C
	if http2 && !h2c {
		name += "/h2c"
	}
	if t.clusters[name] != nil {
		return name
	}
	c := &ir.Cluster{Name: name, Discovery: ir.DiscoveryEDS}
	if h2c || http2 {
		c.Protocol = ir.AppProtocolHTTP2
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		c.Discovery = ir.DiscoveryDNS
		if svc.Spec.ExternalName != "" {
			c.Endpoints = []*ir.Endpoint{{Address: svc.Spec.ExternalName, Port: uint32(port)}}
		}
	} else {
		// The endpoints come from the endpoints snapshot (TranslateEndpoints),
		// which changes without a new translation.
		c.EndpointSource = endpointSource(svc, sp)
	}
	if last := t.lastClusters[name]; last.Equal(c) {
		c = last
	}
	t.clusters[name] = c
	return name
}

// endpointSource names the EndpointSlice port of a Service port: slices
// name their ports after the Service port, with the same protocol.
func endpointSource(svc *corev1.Service, sp *corev1.ServicePort) *ir.EndpointSource {
	return &ir.EndpointSource{
		Namespace: svc.Namespace,
		Name:      svc.Name,
		Port:      uint32(sp.Port),
		PortName:  sp.Name,
		Protocol:  protocolOf(sp.Protocol),
	}
}

// protocolOf is a Kubernetes port protocol, TCP when unset.
func protocolOf(p corev1.Protocol) ir.Protocol {
	if p == "" {
		return ir.ProtocolTCP
	}
	return ir.Protocol(p)
}

// TranslateEndpoints turns an endpoints snapshot into its IR form: for every
// Service it covers, the ready endpoints of each EndpointSlice port (name
// and protocol), sorted by address and port, without duplicates. Slices of
// address type FQDN are skipped; slices are read in name order, so the zone
// of an endpoint listed twice is the first slice's. Like Translate, it is a
// pure function and does not modify its input; a nil snapshot covers nothing.
// When a Service is listed twice, the first entry wins.
func TranslateEndpoints(e *Endpoints) *ir.Endpoints {
	out := &ir.Endpoints{Services: map[string]*ir.ServiceEndpoints{}}
	if e == nil {
		return out
	}
	for _, s := range e.Services {
		key := ir.ServiceKey(s.Namespace, s.Name)
		if _, dup := out.Services[key]; !dup {
			out.Services[key] = serviceEndpoints(s.EndpointSlices)
		}
	}
	return out
}

// endpointPortKey is an EndpointSlice port's name and protocol.
type endpointPortKey struct {
	name     string
	protocol ir.Protocol
}

// serviceEndpoints returns the ready IP endpoints of one Service's slices,
// per EndpointSlice port.
func serviceEndpoints(list []*discoveryv1.EndpointSlice) *ir.ServiceEndpoints {
	type addrPort struct {
		addr string
		port uint32
	}
	ordered := make([]*discoveryv1.EndpointSlice, 0, len(list))
	for _, s := range list {
		if s != nil && s.AddressType != discoveryv1.AddressTypeFQDN {
			ordered = append(ordered, s)
		}
	}
	// Slices of a Service may repeat an endpoint (during a rollout); reading
	// them by name makes the first one deterministic.
	sortStableBy(ordered, func(a, b *discoveryv1.EndpointSlice) bool { return a.Name < b.Name })
	byPort := map[endpointPortKey]*ir.PortEndpoints{}
	seen := map[endpointPortKey]map[addrPort]bool{}
	for _, s := range ordered {
		for _, sp := range slicePorts(s) {
			pe := byPort[sp.key]
			if pe == nil {
				pe = &ir.PortEndpoints{Name: sp.key.name, Protocol: sp.key.protocol}
				byPort[sp.key] = pe
				seen[sp.key] = map[addrPort]bool{}
			}
			for i := range s.Endpoints {
				e := &s.Endpoints[i]
				if e.Conditions.Ready != nil && !*e.Conditions.Ready {
					continue
				}
				for _, a := range e.Addresses {
					k := addrPort{a, sp.port}
					if a == "" || seen[sp.key][k] {
						continue
					}
					seen[sp.key][k] = true
					ep := &ir.Endpoint{Address: a, Port: sp.port}
					if e.Zone != nil {
						ep.Zone = *e.Zone
					}
					pe.Endpoints = append(pe.Endpoints, ep)
				}
			}
		}
	}
	out := &ir.ServiceEndpoints{Ports: make([]*ir.PortEndpoints, 0, len(byPort))}
	for _, pe := range byPort {
		sortBy(pe.Endpoints, func(a, b *ir.Endpoint) bool {
			if a.Address != b.Address {
				return a.Address < b.Address
			}
			return a.Port < b.Port
		})
		out.Ports = append(out.Ports, pe)
	}
	sortBy(out.Ports, func(a, b *ir.PortEndpoints) bool {
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Protocol < b.Protocol
	})
	return out
}

// slicePort is the port number an EndpointSlice gives for a port name and protocol.
type slicePort struct {
	key  endpointPortKey
	port uint32
}

// slicePorts returns, for each port name and protocol of an EndpointSlice,
// the first valid port number (1-65535) it gives.
func slicePorts(s *discoveryv1.EndpointSlice) []slicePort {
	out := make([]slicePort, 0, len(s.Ports))
	for _, p := range s.Ports {
		if p.Port == nil || *p.Port <= 0 || *p.Port > 65535 {
			continue
		}
		k := endpointPortKey{protocol: ir.ProtocolTCP}
		if p.Name != nil {
			k.name = *p.Name
		}
		if p.Protocol != nil {
			k.protocol = ir.Protocol(*p.Protocol)
		}
		if !slices.ContainsFunc(out, func(sp slicePort) bool { return sp.key == k }) {
			out = append(out, slicePort{key: k, port: uint32(*p.Port)})
		}
	}
	return out
}

// destination builds the IR destination of weighted backends. It returns nil
// when no valid backend has a weight, so the caller answers 500 itself.
func destination(backends []weightedBackend) *ir.Destination {
	d := &ir.Destination{}
	for _, b := range backends {
		switch {
		case b.weight == 0:
		case b.err != nil:
			d.InvalidWeight += b.weight
		default:
			d.Backends = append(d.Backends, &ir.WeightedCluster{
				Cluster: b.cluster, Weight: b.weight, RequestHeaders: b.requestHeaders, ResponseHeaders: b.responseHeaders,
			})
		}
	}
	if len(d.Backends) == 0 {
		return nil
	}
	return d
}

// backendWeight is a backendRef's weight (default 1); negative weights are invalid.
func backendWeight(w *int32) (uint32, bool) {
	if w == nil {
		return 1, true
	}
	if *w < 0 {
		return 0, false
	}
	return uint32(*w), true
}
