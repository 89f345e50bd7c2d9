package gatewayapi

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/identity"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// listenAddress is the address every Envoy listener binds.
const listenAddress = "0.0.0.0"

// fleetModel is one proxy fleet: the accepted Gateways it serves.
type fleetModel struct {
	name  string
	class *gatewayClassModel
	// candidates are the Gateways that may join the fleet, in precedence order.
	candidates []*gatewayModel
	// gateways are the accepted ones.
	gateways []*gatewayModel
	// ports are what the fleet exposes (see exposedPorts), by port; a fleet
	// without any runs no proxies.
	ports map[int32]*ir.ProxyListener
}

// fleetName is "<namespace>/<name>" of the Gateway, or the class name when
// the class's EnvoyProxy merges its Gateways into one fleet.
func fleetName(g *gatewayModel) string {
	if g.class.proxy.IsMergeGateways() {
		return g.class.obj.Name
	}
	return g.key.String()
}

// buildFleets groups Gateways into fleets, resolves listener conflicts across
// the Gateways of each fleet and decides which Gateways are accepted.
func (t *translator) buildFleets() {
	byName := make(map[string]*fleetModel)
	var order []*fleetModel
	for _, g := range t.gateways {
		if g.specErr != nil {
			g.finalize()
			g.finalizeListenerSets()
			continue
		}
		name := fleetName(g)
		f := byName[name]
		if f == nil {
			f = &fleetModel{name: name, class: g.class}
			byName[name] = f
			order = append(order, f)
		}
		f.candidates = append(f.candidates, g)
	}
	for _, f := range order {
		resolveFleetConflicts(f.candidates)
		resolveContainerPorts(f.candidates)
		for _, g := range f.candidates {
			g.finalize()
			g.finalizeListenerSets()
			if g.accepted() {
				g.fleet = f
				f.gateways = append(f.gateways, g)
			}
		}
		if len(f.gateways) == 0 {
			continue
		}
		f.linkSiblings()
		t.resolveTLSOverlaps(f)
		if f.ports = f.exposedPorts(); len(f.ports) > 0 {
			t.fleets = append(t.fleets, f)
		}
	}
	sortBy(t.fleets, func(a, b *fleetModel) bool { return a.name < b.name })
}

// programmedListeners lists the fleet's programmable listeners (of its
// Gateways and their accepted ListenerSets) in precedence order.
func (f *fleetModel) programmedListeners() []*listenerModel {
	var out []*listenerModel
	for _, g := range f.gateways {
		for _, l := range g.servedListeners() {
			if l.programmable() {
				out = append(out, l)
			}
		}
	}
	return out
}

// exposedPorts are the ports of the fleet's Deployment and Service: one per
// port of the listeners its Gateways, and the ListenerSets they allow,
// declare validly (accepted, with a supported route kind), whether or not
// their references (certificates) resolve right now. A Secret that breaks
// and is fixed again changes what Envoy serves, never the fleet's objects:
// no rolling restart, and the Service keeps its node ports. The first such
// listener of a port, in precedence order, names it.
func (f *fleetModel) exposedPorts() map[int32]*ir.ProxyListener {
	ports := make(map[int32]*ir.ProxyListener)
	for _, g := range f.gateways {
		for _, l := range concat(g.listenerGroups()) {
			if l.acceptErr != nil || len(l.supportedKinds) == 0 || ports[l.port] != nil {
				continue
			}
			ports[l.port] = &ir.ProxyListener{
				Name:          fmt.Sprintf("%s-%d", strings.ToLower(string(l.spec.Protocol)), l.port),
				Port:          uint32(l.port),
				ContainerPort: ir.ContainerPort(uint32(l.port)),
				Protocol:      ir.ProtocolTCP,
			}
		}
	}
	return ports
}

// linkSiblings tells each programmable listener which others share its port.
func (f *fleetModel) linkSiblings() {
	byPort := make(map[int32][]*listenerModel)
	for _, l := range f.programmedListeners() {
		byPort[l.port] = append(byPort[l.port], l)
	}
	for _, ls := range byPort {
		for _, l := range ls {
			for _, o := range ls {
				if o != l {
					l.programmedSiblings = append(l.programmedSiblings, o)
				}
			}
		}
	}
}

// buildIR returns the fleet's infra and xDS IR.
func (t *translator) buildIR(f *fleetModel) *bus.Fleet {
	xds := &ir.Xds{}
	var http []map[string]int // the clusters of each HTTP listener
	sameHTTP := true          // all of them with the names of the last call
	for _, l := range f.programmedListeners() {
		switch l.spec.Protocol {
		case gwapiv1.TLSProtocolType:
			xds.TLS = append(xds.TLS, buildTLSListener(l))
		case gwapiv1.TCPProtocolType:
			xds.TCP = append(xds.TCP, buildTCPListener(l))
		default:
			hl, clusters, same := t.buildHTTPListener(l)
			xds.HTTP = append(xds.HTTP, hl)
			http = append(http, clusters)
			sameHTTP = sameHTTP && same
		}
	}
	sortStableBy(xds.HTTP, func(a, b *ir.HTTPListener) bool { return lessListener(a.Port, a.Name, b.Port, b.Name) })
	sortStableBy(xds.TLS, func(a, b *ir.TLSListener) bool { return lessListener(a.Port, a.Name, b.Port, b.Name) })
	sortStableBy(xds.TCP, func(a, b *ir.TCPListener) bool { return lessListener(a.Port, a.Name, b.Port, b.Name) })
	xds.Clusters = t.applyBackendTLS(f, t.usedClusters(f.name, xds, http, sameHTTP))
	if xds.UsesGlobalRateLimit() {
		xds.GlobalRateLimit = t.globalRateLimit
	}
	return &bus.Fleet{Name: f.name, Infra: f.infra(f.ports), Xds: xds}
}

func lessListener(pa uint32, na string, pb uint32, nb string) bool {
	if pa != pb {
		return pa < pb
	}
	return na < nb
}

// infra builds the fleet's infra IR.
func (f *fleetModel) infra(ports map[int32]*ir.ProxyListener) *ir.Infra {
	p := &ir.ProxyInfra{
		Name:         f.name,
		GatewayClass: f.class.obj.Name,
		Config:       proxyConfig(f.class.proxy),
	}
	for _, g := range f.gateways {
		p.Gateways = append(p.Gateways, g.key.String())
	}
	slices.Sort(p.Gateways)
	p.Addresses = f.staticAddresses()
	p.Labels, p.Annotations = f.infraMetadata()
	for _, l := range ports {
		p.Listeners = append(p.Listeners, l)
	}
	sortBy(p.Listeners, func(a, b *ir.ProxyListener) bool { return a.Port < b.Port })
	return &ir.Infra{Proxy: p}
}

// usedClusters lists the clusters the routes of fleet's xDS IR use, sorted
// by name: those of the HTTP listeners (http, their clusters; sameHTTP when
// each has the names of its last call) and those of the TLS and TCP
// listeners. With a Translator, when the HTTP listeners are the last
// call's with the same names and the TLS and TCP listeners use the same
// clusters, the names are the last call's, neither gathered nor sorted
// again (20,000 at 10,000 routes).
func (t *translator) usedClusters(fleet string, xds *ir.Xds, http []map[string]int, sameHTTP bool) []*ir.Cluster {
	var other []string // the TLS and TCP listeners' clusters
	addDestination := func(d *ir.Destination) {
		if d != nil {
			for _, b := range d.Backends {
				other = append(other, b.Cluster)
			}
		}
	}
	for _, l := range xds.TLS {
		for _, r := range l.Routes {
			addDestination(r.Destination)
		}
	}
	for _, l := range xds.TCP {
		if l.Route != nil {
			addDestination(l.Route.Destination)
		}
	}
	slices.Sort(other)
	other = slices.Compact(other)
	listeners := make([]string, len(xds.HTTP))
	for i, l := range xds.HTTP {
		listeners[i] = l.Name
	}
	var names []string
	if m := t.lastUsedClusters(fleet); m != nil && sameHTTP && slices.Equal(m.listeners, listeners) && slices.Equal(m.other, other) {
		names = m.names
	} else {
		used := map[string]bool{}
		for _, clusters := range http {
			for name := range clusters {
				used[name] = true
			}
		}
		for _, name := range other {
			used[name] = true
		}
		names = slices.Sorted(maps.Keys(used))
	}
	last := t.lastUsedClusters(fleet)
	var out []*ir.Cluster
	if last != nil && len(names) > 0 && identity.Slice(last.names, names) && identity.Map(last.from, t.clusters) {
		// The same names, looked up in the same map, whose entries are
		// only ever added: the same clusters.
		out = last.clusters
	} else {
		out = make([]*ir.Cluster, len(names))
		for i, name := range names {
			out[i] = t.clusters[name]
		}
	}
	if t.memo != nil {
		t.memo.usedClusters[fleet] = &usedClustersMemo{
			gen: t.memo.gen, listeners: listeners, other: other, names: names, clusters: out, from: t.clusters,
		}
	}
	return out
}

// lastUsedClusters is the memo's record of fleet's clusters in the last
// call, nil without one.
func (t *translator) lastUsedClusters(fleet string) *usedClustersMemo {
	if t.memo == nil {
		return nil
	}
	// The last call is the one before (gen-1) or, when patchRoutes patches
	// it, the same.
	m := t.memo.usedClusters[fleet]
	if m == nil || m.gen+1 < t.memo.gen {
		return nil
	}
	return m
}

// gatewayProgrammedError says why a Gateway is not programmed: it depends on
// the infrastructure the infra manager reports for its fleet.
func (t *translator) gatewayProgrammedError(g *gatewayModel) *gatewayError {
	if g.frozen() {
		return errorf(gwapiv1.GatewayReasonInvalid, "%s", g.frozenMessage())
	}
	if !g.accepted() {
		return errorf(gwapiv1.GatewayReasonInvalid, "Gateway is not accepted")
	}
	if len(g.fleet.ports) == 0 {
		return errorf(gwapiv1.GatewayReasonInvalid, "No listener is valid (accepted with a supported route kind): no proxy fleet runs for the Gateway")
	}
	if err := t.staticAddressError(g); err != nil {
		return err
	}
	state, ok := t.infraStates[g.fleet.name]
	switch {
	case !ok:
		return errorf(gwapiv1.GatewayReasonPending, "Waiting for the infrastructure of proxy fleet %s to be created", g.fleet.name)
	case !state.Ready:
		return errorf(gwapiv1.GatewayReasonNoResources, "No proxy of fleet %s is available yet", g.fleet.name)
	case len(state.Addresses) == 0:
		return errorf(gwapiv1.GatewayReasonAddressNotAssigned, "No address has been assigned to proxy fleet %s yet", g.fleet.name)
	case len(g.obj.Spec.Addresses) > 0 && !hasIPAddress(state.Addresses):
		return errorf(gwapiv1.GatewayReasonAddressNotAssigned,
			"spec.addresses requests an %s, but proxy fleet %s has none yet", gwapiv1.IPAddressType, g.fleet.name)
	}
	return nil
}

// staticAddressError says why the static addresses a Gateway requests are
// not (yet) its addresses. A fleet's Service can request one load balancer
// address (spec.loadBalancerIP), so a fleet whose Gateways request more than
// one cannot be given them: AddressNotUsable. A requested address the
// fleet does not have is AddressNotAssigned while the fleet has no address
// at all, AddressNotUsable once it has others.
func (t *translator) staticAddressError(g *gatewayModel) *gatewayError {
	want := staticAddresses(g.obj)
	if len(want) == 0 {
		return nil
	}
	all := g.fleet.staticAddresses()
	if len(all) > 1 {
		return errorf(gwapiv1.GatewayReasonAddressNotUsable,
			"spec.addresses of the Gateways of proxy fleet %s request %d addresses (%s); its Service can be given only one",
			g.fleet.name, len(all), strings.Join(all, ", "))
	}
	state := t.infraStates[g.fleet.name]
	if hasAddress(state.Addresses, want[0]) {
		return nil
	}
	if len(state.Addresses) == 0 {
		return errorf(gwapiv1.GatewayReasonAddressNotAssigned, "Address %s has not been assigned to proxy fleet %s yet", want[0], g.fleet.name)
	}
	return errorf(gwapiv1.GatewayReasonAddressNotUsable, "Address %s was not assigned to proxy fleet %s, which has other addresses", want[0], g.fleet.name)
}

// staticAddresses are the addresses the fleet's Gateways request.
func (f *fleetModel) staticAddresses() []string {
	var out []string
	for _, g := range f.gateways {
		for _, a := range staticAddresses(g.obj) {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

// hasAddress reports whether ip is one of addrs.
func hasAddress(addrs []bus.Address, ip string) bool {
	for _, a := range addrs {
		if b, err := netip.ParseAddr(a.Value); err == nil && b.String() == ip {
			return true
		}
	}
	return false
}

// hasIPAddress reports whether a fleet has an address of type IPAddress
// (an empty type means IPAddress).
func hasIPAddress(addrs []bus.Address) bool {
	for _, a := range addrs {
		if a.Type == "" || a.Type == string(gwapiv1.IPAddressType) {
			return true
		}
	}
	return false
}

// gatewayAddresses are the addresses reported for an accepted Gateway.
func (t *translator) gatewayAddresses(g *gatewayModel) []gwapiv1.GatewayStatusAddress {
	if !g.accepted() {
		return nil
	}
	state := t.infraStates[g.fleet.name]
	if len(state.Addresses) == 0 {
		return nil
	}
	out := make([]gwapiv1.GatewayStatusAddress, 0, len(state.Addresses))
	for _, a := range state.Addresses {
		typ := gwapiv1.IPAddressType
		if a.Type != "" {
			typ = gwapiv1.AddressType(a.Type)
		}
		out = append(out, gwapiv1.GatewayStatusAddress{Type: &typ, Value: a.Value})
	}
	return out
}
