package server

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// ProxyState says whether a proxy holds its fleet's current configuration.
type ProxyState string

// The states of a proxy against its fleet's current configuration.
const (
	// ProxyApplied: the proxy ACKed the current version of every type the
	// fleet serves resources of.
	ProxyApplied ProxyState = "Applied"
	// ProxyRejected: the proxy NACKed the current version of a type.
	ProxyRejected ProxyState = "Rejected"
	// ProxyPending: the proxy has not ACKed or NACKed the current versions yet.
	ProxyPending ProxyState = "Pending"
)

// TypeStatus is what one proxy holds of one resource type.
type TypeStatus struct {
	// Sent is the version of the last response sent.
	Sent string `json:"sent,omitempty"`
	// Acked is the version the proxy last said it holds.
	Acked string `json:"acked,omitempty"`
	// Nacked is the version of the last response the proxy rejected, ""
	// when it rejected none (or a response no longer remembered).
	Nacked string `json:"nacked,omitempty"`
	// ErrorDetail is the message of the last rejection.
	ErrorDetail string `json:"errorDetail,omitempty"`
	// Rejected are the resources of the rejected response that the error
	// names, or all of them when it names none.
	Rejected []string `json:"rejected,omitempty"`
	// RejectedRoutes are the names of the routes (routev3.Route.name) of
	// rejected RouteConfigurations that the error names, by name or by
	// their "virtual_hosts[i].routes[j]" path.
	RejectedRoutes []string `json:"rejectedRoutes,omitempty"`
}

// ProxyStatus is one connected proxy (one xDS stream) of a fleet.
type ProxyStatus struct {
	Node     string `json:"node"`
	Protocol string `json:"protocol"`
	Stream   int64  `json:"stream"`
	// State compares what the proxy holds with the fleet's current versions.
	State ProxyState `json:"state"`
	// Rejection is the NACK of a current version when State is Rejected.
	Rejection *Rejection `json:"rejection,omitempty"`
	// Types are the types the proxy subscribed to or was sent, by type URL.
	Types map[string]TypeStatus `json:"types"`
}

// Rejection is a proxy's NACK of a version the fleet serves now.
type Rejection struct {
	Node    string `json:"node"`
	TypeURL string `json:"typeUrl"`
	TypeStatus
}

// FleetStatus is the configuration a fleet serves now and how each
// connected proxy stands against it.
type FleetStatus struct {
	Fleet string `json:"fleet"`
	// Served says whether the fleet has a configuration on the server.
	Served bool `json:"served"`
	// Versions are the versions served now, by type URL.
	Versions map[string]string `json:"versions,omitempty"`
	// Proxies are the connected proxies, by node id then stream.
	Proxies []ProxyStatus `json:"proxies"`
	// Nacks counts the NACKs received from the fleet's proxies, by type URL.
	Nacks map[string]int `json:"nacks,omitempty"`
	// LastPropagationSeconds is the time the last configuration took from
	// being set to being ACKed by every connected proxy (0: none yet).
	LastPropagationSeconds float64 `json:"lastPropagationSeconds,omitempty"`
}

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

// State sums up the fleet: Rejected with the first rejection when any
// proxy rejected the current configuration, Pending when any proxy has not
// ACKed it, Applied when every connected proxy holds it. connected is
// false when no proxy is connected.
func (f FleetStatus) State() (state ProxyState, rejection *Rejection, connected bool) {
	state = ProxyApplied
	for _, p := range f.Proxies {
		switch p.State {
		case ProxyRejected:
			return ProxyRejected, p.Rejection, true
		case ProxyPending:
			state = ProxyPending
		}
	}
	return state, nil, len(f.Proxies) > 0
}

// rejectedNames returns the names of the resources that detail mentions,
// or all of their names when it mentions none.
func rejectedNames(resources []*anypb.Any, detail string) []string {
	var all, named []string
	for _, a := range resources {
		m, err := a.UnmarshalNew()
		if err != nil {
			continue
		}
		name := cachev3.GetResourceName(m)
		all = append(all, name)
		if name != "" && strings.Contains(detail, name) {
			named = append(named, name)
		}
	}
	if len(named) == 0 {
		return all
	}
	return named
}

// rejectedRoutes returns the names of the routes of the RouteConfigurations
// among resources (those named by rejected) that detail names, by their
// name or by their "virtual_hosts[i].routes[j]" path.
func rejectedRoutes(resources []*anypb.Any, rejected []string, detail string) []string {
	var out []string
	for _, a := range resources {
		m, err := a.UnmarshalNew()
		if err != nil {
			continue
		}
		rc, ok := m.(*routev3.RouteConfiguration)
		if !ok || !slices.Contains(rejected, rc.GetName()) {
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
