package translator

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/protovalidate"
)

// Resources are the Envoy resources of one fleet, each list sorted by name.
type Resources struct {
	Listeners []*listenerv3.Listener
	Routes    []*routev3.RouteConfiguration
	Clusters  []*clusterv3.Cluster
	Endpoints []*endpointv3.ClusterLoadAssignment
	Secrets   []*tlsv3.Secret

	// LeftOut are the elements the translation left out, each alone, because
	// they break the IR's invariants or Envoy would refuse them (they fail
	// the protos' ValidateAll, or a rule Envoy applies on top). Everything
	// else is translated.
	LeftOut []LeftOut
	// Warnings describe, one line each, every element left out and the
	// smaller things dropped (an endpoint that is not an IP address, a
	// hostname another filter chain already serves).
	Warnings []string
}

// LeftOut is one element of a fleet left out of its resources.
type LeftOut struct {
	// Kind is "listener", "filter chain", "route", "virtual host",
	// "cluster", "cluster load assignment" or "secret".
	Kind string `json:"kind"`
	// Name is the element's name: the IR name of a listener, route, cluster
	// or certificate, or the Envoy name of a filter chain or virtual host.
	Name string `json:"name"`
	// Source is the Kubernetes object the element comes from (ir.Source).
	Source string `json:"source"`
	// Reason says why it was left out.
	Reason string `json:"reason"`
}

// Translate is TranslateWithEndpoints without an endpoints snapshot: EDS
// clusters with an EndpointSource get no endpoints.
func Translate(x *ir.Xds) (*Resources, error) {
	return TranslateWithEndpoints(x, nil)
}

// TranslateWithEndpoints turns the xDS IR of one fleet into Envoy resources,
// taking the endpoints of EDS clusters with an EndpointSource from eps (see
// TranslateEndpoints). It never fails as a whole: an element of the IR that
// breaks the IR's invariants, or whose resource fails the protos'
// ValidateAll or a rule Envoy applies, is left out alone and listed in
// LeftOut; the rest is served. Every resource returned passes ValidateAll
// (each is validated once, as it is built). The error is only for a nil IR.
func TranslateWithEndpoints(x *ir.Xds, eps *ir.Endpoints) (*Resources, error) {
	if x == nil {
		return nil, errors.New("xds ir is nil")
	}
	return translate(x, eps, nil), nil
}

// translate translates x, with cache when it is not nil.
func translate(x *ir.Xds, eps *ir.Endpoints, cache *Cache) *Resources {
	t := &translation{out: &Resources{}, secrets: map[string]*ir.Certificate{}, cache: cache}
	x = t.validIR(x)
	t.httpFilters = rateLimitHTTPFilters(x)
	for _, g := range groupByAddress(x) {
		t.addListener(g)
	}
	t.addClusters(x.Clusters)
	if x.GlobalRateLimit != nil {
		if built, err := checkedCluster(RateLimitServiceCluster(x.GlobalRateLimit)); err != nil {
			t.leaveOut("cluster", "", RateLimitClusterName, err)
		} else {
			t.out.Clusters = append(t.out.Clusters, built)
		}
	}
	t.addEndpoints(x.Clusters, eps)
	t.addSecrets()
	t.out.sortButEndpoints(t.clustersSorted)
	if !t.endpointsSorted {
		t.out.sortEndpoints()
	}
	return t.out
}

// translation is the state of one Translate call.
type translation struct {
	// cache, when set, gives the messages of unchanged elements.
	cache *Cache
	out   *Resources
	// secrets are the certificates referenced by emitted filter chains, by name.
	secrets map[string]*ir.Certificate
	// invalidBackend is set when a filter chain refers to invalidBackendCluster.
	invalidBackend bool
	// sameClusters is set when the IR clusters are the cache's last call's
	// (see validClusters).
	sameClusters bool
	// httpFilters are the HTTP filters every HTTP connection manager runs
	// before the router (rate limiting).
	httpFilters []*hcmv3.HttpFilter
	// endpointsSorted says the assignments are the last call's, known to
	// be in name order (see addEndpoints): not sorted again.
	endpointsSorted bool
	// clustersSorted is how many clusters, at the start of the result's
	// list, are known to be in name order (the last call's, see
	// addValidClusters): only those after them are put in place.
	clustersSorted int
	// shared are the routes and virtual hosts of the route configurations
	// built so far, with a cache (see sharedRoutes).
	shared sharedRoutes
}

func (t *translation) warnf(format string, args ...any) {
	t.out.Warnings = append(t.out.Warnings, fmt.Sprintf(format, args...))
}

// leaveOut records an element left out; irKind is the kind ir.Source
// knows the element's name under ("" when the name is not an IR name).
func (t *translation) leaveOut(kind, irKind, name string, err error) {
	source := name
	if irKind != "" {
		source = ir.Source(irKind, name)
	}
	t.out.LeftOut = append(t.out.LeftOut, LeftOut{Kind: kind, Name: name, Source: source, Reason: err.Error()})
	t.warnf("%s %q (%s) left out: %v", kind, name, source, err)
}

// addressGroup is every IR listener bound to one address:port, in IR order.
type addressGroup struct {
	address string
	port    uint32
	http    []*ir.HTTPListener // plain HTTP
	https   []*ir.HTTPListener
	tls     []*ir.TLSListener
	tcp     []*ir.TCPListener
}

// groupByAddress groups the IR listeners by address:port, sorted by address
// then port.
func groupByAddress(x *ir.Xds) []*addressGroup {
	type key struct {
		address string
		port    uint32
	}
	groups := map[key]*addressGroup{}
	get := func(address string, port uint32) *addressGroup {
		k := key{address, port}
		g, ok := groups[k]
		if !ok {
			g = &addressGroup{address: address, port: port}
			groups[k] = g
		}
		return g
	}
	for _, l := range x.HTTP {
		g := get(l.Address, l.Port)
		if l.TLS == nil {
			g.http = append(g.http, l)
		} else {
			g.https = append(g.https, l)
		}
	}
	for _, l := range x.TLS {
		g := get(l.Address, l.Port)
		g.tls = append(g.tls, l)
	}
	for _, l := range x.TCP {
		g := get(l.Address, l.Port)
		g.tcp = append(g.tcp, l)
	}
	out := make([]*addressGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *addressGroup) int {
		return cmp.Or(cmp.Compare(a.address, b.address), cmp.Compare(a.port, b.port))
	})
	return out
}

func (r *Resources) sort() {
	r.sortButEndpoints(0)
	r.sortEndpoints()
}

// sortButEndpoints sorts every list but the assignments by name; the first
// sortedClusters clusters are known to be in order.
func (r *Resources) sortButEndpoints(sortedClusters int) {
	slices.SortFunc(r.Listeners, func(a, b *listenerv3.Listener) int { return cmp.Compare(a.GetName(), b.GetName()) })
	slices.SortFunc(r.Routes, func(a, b *routev3.RouteConfiguration) int { return cmp.Compare(a.GetName(), b.GetName()) })
	sortClusters(r.Clusters, sortedClusters)
	slices.SortFunc(r.Secrets, func(a, b *tlsv3.Secret) int { return cmp.Compare(a.GetName(), b.GetName()) })
}

// fewUnsorted is how many clusters after a sorted run sortClusters inserts
// one by one; more are sorted with the rest.
const fewUnsorted = 8

// sortClusters sorts cs by name, its first sorted elements being in order
// already. A few after them (the invalid-backend and rate limit clusters)
// are each inserted at their place: at 20,000 clusters a sort compares
// names scattered over the heap, and a route change keeps the list.
func sortClusters(cs []*clusterv3.Cluster, sorted int) {
	if sorted == 0 || len(cs)-sorted > fewUnsorted {
		slices.SortFunc(cs, compareClusters)
		return
	}
	for i := sorted; i < len(cs); i++ {
		c := cs[i]
		at, _ := slices.BinarySearchFunc(cs[:i], c, compareClusters)
		copy(cs[at+1:i+1], cs[at:i])
		cs[at] = c
	}
}

// compareClusters orders clusters by name.
func compareClusters(a, b *clusterv3.Cluster) int { return cmp.Compare(a.GetName(), b.GetName()) }

func (r *Resources) sortEndpoints() { slices.SortFunc(r.Endpoints, compareAssignments) }

// compareAssignments orders assignments by cluster name.
func compareAssignments(a, b *endpointv3.ClusterLoadAssignment) int {
	return cmp.Compare(a.GetClusterName(), b.GetClusterName())
}

// Validate runs the protos' own ValidateAll on every resource, and on the
// typed extension configs packed in Any fields of listeners, route
// configurations (per-route rate limits) and clusters. Assignments and
// secrets are built without Any fields (a test keeps it so), so the costly
// walk looking for them is skipped there.
func (r *Resources) Validate() error {
	var errs []error
	check := func(kind, name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", kind, name, err))
		}
	}
	for _, l := range r.Listeners {
		check("listener", l.GetName(), protovalidate.Deep(l))
	}
	for _, rc := range r.Routes {
		check("route configuration", rc.GetName(), protovalidate.Deep(rc))
	}
	for _, c := range r.Clusters {
		check("cluster", c.GetName(), protovalidate.Deep(c))
	}
	for _, e := range r.Endpoints {
		check("cluster load assignment", e.GetClusterName(), e.ValidateAll())
	}
	for _, s := range r.Secrets {
		check("secret", s.GetName(), s.ValidateAll())
	}
	return errors.Join(errs...)
}
