package gatewayapi

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
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

// weightedBackend is one resolved backendRef of a rule.
type weightedBackend struct {
	cluster string
	weight  uint32
	err     *reasonError
}

// resolveBackend resolves a backendRef to the cluster of a Service port. The
// checks run in the order Gateway API prescribes: kind, permission, existence.
func (t *translator) resolveBackend(from backendFrom, ref *gwapiv1.BackendObjectReference) (string, *reasonError) {
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
	if !t.idx.refAllowed(fromRef, objectRef{kind: kindService, namespace: ns, name: string(ref.Name)}) {
		return "", errorf(gwapiv1.RouteReasonRefNotPermitted, "backendRef to Service %s is not permitted by any ReferenceGrant", key)
	}
	svc := t.idx.services[key]
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
	return t.cluster(svc, sp, *ref.Port), nil
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
// cluster the first time. sp is nil for an ExternalName Service without ports.
func (t *translator) cluster(svc *corev1.Service, sp *corev1.ServicePort, port int32) string {
	name := clusterName(svc.Namespace, svc.Name, port)
	if t.clusters[name] != nil {
		return name
	}
	c := &ir.Cluster{Name: name, Discovery: ir.DiscoveryEDS}
	if sp != nil && sp.AppProtocol != nil && *sp.AppProtocol == appProtocolH2C {
		c.Protocol = ir.AppProtocolHTTP2
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		c.Discovery = ir.DiscoveryDNS
		if svc.Spec.ExternalName != "" {
			c.Endpoints = []*ir.Endpoint{{Address: svc.Spec.ExternalName, Port: uint32(port)}}
		}
	} else {
		c.Endpoints = readyEndpoints(t.idx.endpointSlices[keyOf(svc.Namespace, svc.Name)], sp)
	}
	t.clusters[name] = c
	return name
}

// readyEndpoints returns the ready IP endpoints of a Service port, sorted and
// without duplicates. Endpoint ports come from the EndpointSlice port with
// the Service port's name (the resolved targetPort).
func readyEndpoints(slices []*discoveryv1.EndpointSlice, sp *corev1.ServicePort) []*ir.Endpoint {
	type key struct {
		addr string
		port uint32
	}
	seen := map[key]bool{}
	var out []*ir.Endpoint
	for _, s := range slices {
		if s.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		port, ok := slicePort(s, sp)
		if !ok {
			continue
		}
		for i := range s.Endpoints {
			e := &s.Endpoints[i]
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			for _, a := range e.Addresses {
				k := key{a, port}
				if a == "" || seen[k] {
					continue
				}
				seen[k] = true
				ep := &ir.Endpoint{Address: a, Port: port}
				if e.Zone != nil {
					ep.Zone = *e.Zone
				}
				out = append(out, ep)
			}
		}
	}
	sortBy(out, func(a, b *ir.Endpoint) bool {
		if a.Address != b.Address {
			return a.Address < b.Address
		}
		return a.Port < b.Port
	})
	return out
}

// slicePort finds the port of an EndpointSlice that serves a Service port.
func slicePort(s *discoveryv1.EndpointSlice, sp *corev1.ServicePort) (uint32, bool) {
	proto := sp.Protocol
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	for _, p := range s.Ports {
		name, pp := "", corev1.ProtocolTCP
		if p.Name != nil {
			name = *p.Name
		}
		if p.Protocol != nil {
			pp = *p.Protocol
		}
		if name == sp.Name && pp == proto && p.Port != nil && *p.Port > 0 && *p.Port <= 65535 {
			return uint32(*p.Port), true
		}
	}
	return 0, false
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
			d.Backends = append(d.Backends, &ir.WeightedCluster{Cluster: b.cluster, Weight: b.weight})
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
