package server

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/envoygw/envoy-gateway/internal/bus"
)

// The status types of the proxies are neutral bus values, so that the
// layers above (the Applied tracker, the providers) read them without
// depending on the xDS server.
type (
	ProxyState  = bus.ProxyState
	TypeStatus  = bus.TypeStatus
	ProxyStatus = bus.ProxyStatus
	Rejection   = bus.Rejection
	FleetStatus = bus.FleetStatus
)

// The states of a proxy against its fleet's current configuration.
const (
	ProxyApplied  = bus.ProxyApplied
	ProxyRejected = bus.ProxyRejected
	ProxyPending  = bus.ProxyPending
)

// FleetStatus reports what fleet serves now and how each of its connected
// proxies stands against it.
func (s *Server) FleetStatus(fleet string) FleetStatus {
	return s.tracker.fleetStatus(fleet)
}

func (t *tracker) fleetStatus(fleet string) FleetStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := FleetStatus{Fleet: fleet, Proxies: []ProxyStatus{}}
	f := t.fleets[fleet]
	if f != nil {
		out.Served, out.Versions = true, maps.Clone(f.versions)
	}
	if st := t.stats[fleet]; st != nil {
		out.Nacks, out.LastPropagationSeconds = maps.Clone(st.nacks), st.propagation.Seconds()
	}
	for _, s := range t.streams {
		if s.fleet != fleet {
			continue
		}
		p := ProxyStatus{Node: s.node, Protocol: s.protocol, Stream: s.id, State: ProxyPending, Types: map[string]TypeStatus{}}
		for typ, tt := range s.types {
			p.Types[typ] = tt.status
		}
		if f != nil {
			p.State, p.Rejection = f.proxyState(s)
		}
		s.synced = s.synced || p.State == ProxyApplied
		p.Synced = s.synced
		out.Proxies = append(out.Proxies, p)
	}
	slices.SortFunc(out.Proxies, func(a, b ProxyStatus) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Stream, b.Stream))
	})
	return out
}

// proxyState compares what stream s holds with f: Rejected when it NACKed
// a current version, Applied when it ACKed the current version of every
// type with resources (for EDS, an older version of endpoint-only updates
// counts too), Pending otherwise.
func (f *fleetTrack) proxyState(s *streamTrack) (ProxyState, *Rejection) {
	pending := false
	for _, typ := range servedTypes {
		cur := f.versions[typ]
		tt := s.types[typ]
		if tt != nil && tt.status.Nacked == cur && tt.status.Acked != cur {
			return ProxyRejected, &Rejection{Node: s.node, TypeURL: typ, TypeStatus: tt.status}
		}
		if !f.nonEmpty[typ] {
			continue
		}
		if tt == nil {
			pending = true
			continue
		}
		acked := tt.status.Acked
		if acked != cur && (typ != resourcev3.EndpointType || !slices.Contains(f.oldEndpoints, acked)) {
			pending = true
		}
	}
	if pending {
		return ProxyPending, nil
	}
	return ProxyApplied, nil
}

// rejectedNames returns the names among names that detail mentions,
// or all of them when it mentions none.
func rejectedNames(names []string, detail string) []string {
	var named []string
	for _, name := range names {
		if name != "" && strings.Contains(detail, name) {
			named = append(named, name)
		}
	}
	if len(named) == 0 {
		return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "" })
	}
	return named
}

// rejectedRoutes returns the names of the routes of the RouteConfigurations
// among rcs (those named by rejected) that detail names, by their
// name or by their "virtual_hosts[i].routes[j]" path.
func rejectedRoutes(rcs []*routev3.RouteConfiguration, rejected []string, detail string) []string {
	var out []string
	for _, rc := range rcs {
		if !slices.Contains(rejected, rc.GetName()) {
			continue
		}
		out = append(out, routesNamedIn(rc, detail)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func routesNamedIn(rc *routev3.RouteConfiguration, detail string) []string {
	var out []string
	for i, vh := range rc.GetVirtualHosts() {
		for j, r := range vh.GetRoutes() {
			path := "virtual_hosts[" + strconv.Itoa(i) + "].routes[" + strconv.Itoa(j) + "]"
			if name := r.GetName(); name != "" && (strings.Contains(detail, name) || strings.Contains(detail, path)) {
				out = append(out, name)
			}
		}
	}
	return out
}
