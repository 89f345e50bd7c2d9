package translator

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// world is a fleet's IR and endpoints snapshot that random changes evolve
// the way the resource translator and the providers do: a changed element
// is a new value, an unchanged one keeps its pointer.
type world struct {
	rng      *rand.Rand
	x        *ir.Xds
	eps      *ir.Endpoints
	services int
	serial   int
}

const worldServices = 12

// missingCluster is the cluster some routes refer to, which comes and goes.
const missingCluster = "service/ns/missing/80"

func newWorld(seed uint64) *world {
	w := &world{rng: rand.New(rand.NewPCG(seed, 1)), services: worldServices}
	w.x = &ir.Xds{}
	for s := range w.services {
		w.x.Clusters = append(w.x.Clusters, w.cluster(s))
	}
	w.x.Clusters = append(w.x.Clusters, &ir.Cluster{Name: "dns", Discovery: ir.DiscoveryDNS,
		Endpoints: []*ir.Endpoint{{Address: "example.com", Port: 80}}})
	if seed%2 == 1 {
		// In name order, as the resource translator gives them: the
		// translator then keeps the last call's order and puts only the
		// clusters it adds in place.
		slices.SortFunc(w.x.Clusters, func(a, b *ir.Cluster) int { return strings.Compare(a.Name, b.Name) })
	}
	if seed%4 == 1 {
		// A cluster the translator adds after the IR's ("ratelimit"),
		// which goes between them.
		w.x.GlobalRateLimit = &ir.GlobalRateLimit{Domain: "envoy-gateway", Host: "rls", Port: 8081, Timeout: 1}
	}
	w.eps = &ir.Endpoints{Services: map[string]*ir.ServiceEndpoints{}, ID: ir.NewEndpointsID()}
	for s := range w.services {
		w.eps.Services[ir.ServiceKey("ns", fmt.Sprintf("svc-%d", s))] = w.serviceEndpoints()
	}
	cert := &ir.Certificate{Name: "ns/cert", Certificate: "cert", PrivateKey: "key"}
	w.x.HTTP = []*ir.HTTPListener{
		{Name: "ns/eg/http", Address: "0.0.0.0", Port: 10080, Hostnames: []string{"*"}},
		{Name: "ns/eg/alt", Address: "0.0.0.0", Port: 8080, Hostnames: []string{"*"}},
		{Name: "ns/eg/https", Address: "0.0.0.0", Port: 8443, Hostnames: []string{"*.example.com"},
			TLS: &ir.TLSConfig{Certificates: []*ir.Certificate{cert}}},
		// Its hostnames come and go (see change), and with them the
		// hostnames the other one's configuration answers 421 for.
		{Name: "ns/eg/https-a", Address: "0.0.0.0", Port: 8443, Hostnames: []string{"a.example.com"},
			TLS: &ir.TLSConfig{Certificates: []*ir.Certificate{cert}}},
	}
	for _, l := range w.x.HTTP {
		for range 8 {
			l.Routes = append(l.Routes, w.route())
		}
	}
	if seed%3 == 0 {
		// The first two listeners serve the same IR routes, as the
		// resource translator gives those of listeners with the same
		// hostnames (see replaceListener).
		w.x.HTTP[1].Routes = slices.Clone(w.x.HTTP[0].Routes)
	}
	w.x.TLS = []*ir.TLSListener{{Name: "ns/eg/tls", Address: "0.0.0.0", Port: 9443, Routes: []*ir.TLSRoute{{
		Name: "tlsroute/ns/t/rule/0", Hostnames: []string{"tls.example.com"},
		Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/ns/svc-0/80", Weight: 1}}},
	}}}}
	return w
}

func (w *world) cluster(s int) *ir.Cluster {
	c := &ir.Cluster{Name: fmt.Sprintf("service/ns/svc-%d/80", s), Discovery: ir.DiscoveryEDS,
		EndpointSource: &ir.EndpointSource{Namespace: "ns", Name: fmt.Sprintf("svc-%d", s), Port: 80, PortName: "http"}}
	if w.rng.IntN(4) == 0 {
		c.Protocol = ir.AppProtocolHTTP2
	}
	if w.rng.IntN(6) == 0 { // a port the Services do not have: no endpoints
		c.EndpointSource.PortName = "grpc"
	}
	return c
}

// serviceEndpoints are one to three endpoints, sometimes one that is not
// an IP address (dropped with a warning).
func (w *world) serviceEndpoints() *ir.ServiceEndpoints {
	n := 1 + w.rng.IntN(3)
	eps := make([]*ir.Endpoint, 0, n)
	for i := range n {
		addr := fmt.Sprintf("10.0.%d.%d", w.rng.IntN(4), i+1)
		if w.rng.IntN(10) == 0 {
			addr = "not-an-ip"
		}
		eps = append(eps, &ir.Endpoint{Address: addr, Port: 3000})
	}
	return &ir.ServiceEndpoints{Ports: []*ir.PortEndpoints{{Name: "http", Protocol: ir.ProtocolTCP, Endpoints: eps}}}
}

// route is a new route on one of a few hostnames; about one in eight is
// refused by Envoy (a newline in a header value) or names a missing cluster.
func (w *world) route() *ir.HTTPRoute {
	w.serial++
	r := &ir.HTTPRoute{
		Name:      fmt.Sprintf("httproute/ns/r%d/rule/0/match/0", w.serial),
		Hostname:  []string{"a.example.com", "b.example.com", "*.example.com", "*"}[w.rng.IntN(4)],
		PathMatch: &ir.StringMatch{Type: ir.MatchPrefix, Value: fmt.Sprintf("/p%d", w.rng.IntN(5))},
		Destination: &ir.Destination{Backends: []*ir.WeightedCluster{
			{Cluster: fmt.Sprintf("service/ns/svc-%d/80", w.rng.IntN(w.services)), Weight: 1},
		}},
	}
	switch w.rng.IntN(8) {
	case 0:
		r.RequestHeaders = &ir.HeaderModifier{Add: []ir.Header{{Name: "x", Value: "a\nb"}}}
	case 1:
		r.Destination.Backends[0].Cluster = missingCluster
	case 2:
		r.Destination.InvalidWeight = 1
	case 3:
		r.HeaderMatches = []*ir.StringMatch{{Name: "x-v", Type: ir.MatchExact, Value: fmt.Sprint(w.serial)}}
	}
	return r
}

// change makes one random change of the IR or the endpoints, and reports
// whether it changed only the endpoints.
func (w *world) change() (endpointsOnly bool) {
	switch w.rng.IntN(10) {
	case 9: // the first and the last route of a listener are replaced
		// (two runs when the listener is long: see diffOf)
		l := w.x.HTTP[w.rng.IntN(len(w.x.HTTP))]
		if len(l.Routes) > 1 {
			w.replaceListener(l, func(routes []*ir.HTTPRoute) []*ir.HTTPRoute {
				routes[0], routes[len(routes)-1] = w.route(), w.route()
				return routes
			})
		}
	case 7: // many routes come or go at once: more than a patch takes on
		l := w.x.HTTP[w.rng.IntN(len(w.x.HTTP))]
		w.replaceListener(l, func(routes []*ir.HTTPRoute) []*ir.HTTPRoute {
			if len(routes) > 40 {
				return routes[40:]
			}
			for range 40 {
				routes = append(routes, w.route())
			}
			return routes
		})
	case 8: // the second HTTPS listener serves another hostname
		l := w.x.HTTP[3]
		c := *l
		c.Hostnames = []string{[]string{"a.example.com", "b.example.com", "c.example.com"}[w.rng.IntN(3)]}
		listeners := slices.Clone(w.x.HTTP)
		listeners[3] = &c
		w.x = &ir.Xds{HTTP: listeners, TLS: w.x.TLS, GlobalRateLimit: w.x.GlobalRateLimit, Clusters: w.x.Clusters}
	case 0, 1: // replace a route
		l := w.x.HTTP[w.rng.IntN(len(w.x.HTTP))]
		if len(l.Routes) > 0 {
			w.replaceListener(l, func(routes []*ir.HTTPRoute) []*ir.HTTPRoute {
				routes[w.rng.IntN(len(routes))] = w.route()
				return routes
			})
		}
	case 2: // add or remove a route
		l := w.x.HTTP[w.rng.IntN(len(w.x.HTTP))]
		w.replaceListener(l, func(routes []*ir.HTTPRoute) []*ir.HTTPRoute {
			if len(routes) > 0 && w.rng.IntN(2) == 0 {
				return slices.Delete(routes, 0, 1)
			}
			return append(routes, w.route())
		})
	case 3: // a cluster changes protocol or port (equal clusters are new values too)
		clusters := slices.Clone(w.x.Clusters)
		for i := range w.services {
			if w.rng.IntN(3) == 0 {
				c := w.cluster(i)
				clusters[slices.IndexFunc(clusters, func(x *ir.Cluster) bool { return x.Name == c.Name })] = c
			}
		}
		w.x = &ir.Xds{HTTP: w.x.HTTP, TLS: w.x.TLS, GlobalRateLimit: w.x.GlobalRateLimit, Clusters: clusters}
	case 4: // the cluster some routes refer to appears or disappears, so
		// routes validated before become invalid, or the other way; half
		// the time with a repeated cluster after it (left out), which
		// goes with it
		clusters := slices.Clone(w.x.Clusters)
		if i := slices.IndexFunc(clusters, func(c *ir.Cluster) bool { return c.Name == missingCluster }); i >= 0 {
			clusters = slices.Delete(clusters, i, len(clusters))
		} else {
			clusters = append(clusters, &ir.Cluster{Name: missingCluster, Discovery: ir.DiscoveryDNS,
				Endpoints: []*ir.Endpoint{{Address: "missing.example.com", Port: 80}}})
			if w.rng.IntN(2) == 0 {
				clusters = append(clusters, clusters[0])
			}
		}
		w.x = &ir.Xds{HTTP: w.x.HTTP, TLS: w.x.TLS, GlobalRateLimit: w.x.GlobalRateLimit, Clusters: clusters}
	default: // endpoints of a Service change
		services := make(map[string]*ir.ServiceEndpoints, len(w.eps.Services)+1)
		maps.Copy(services, w.eps.Services)
		key := ir.ServiceKey("ns", fmt.Sprintf("svc-%d", w.rng.IntN(w.services)))
		switch w.rng.IntN(6) {
		case 0: // the snapshot no longer knows the Service
			delete(services, key)
		case 1: // the Service is known, with no entry
			services[key] = nil
		default:
			services[key] = w.serviceEndpoints()
		}
		// Most snapshots say what changed, as the providers' do.
		next := &ir.Endpoints{Services: services, ID: ir.NewEndpointsID()}
		if w.rng.IntN(4) != 0 {
			next.Delta = &ir.EndpointsDelta{From: w.eps.ID, Changed: []string{key}}
		}
		w.eps = next
		return true
	}
	return false
}

// replaceListener gives the IR a new listener l with edit applied to a copy
// of its routes (other listeners and routes keep their pointers).
//
// When the first two listeners serve the same IR routes, the edit of one
// is most often made to both (a route attached to both changed), and
// sometimes to that one alone (a route attached to one).
func (w *world) replaceListener(l *ir.HTTPListener, edit func([]*ir.HTTPRoute) []*ir.HTTPRoute) {
	c := *l
	c.Routes = edit(slices.Clone(l.Routes))
	listeners := slices.Clone(w.x.HTTP)
	at := slices.Index(listeners, l)
	listeners[at] = &c
	if at < 2 && slices.Equal(listeners[0].Routes, listeners[1].Routes) && w.rng.IntN(4) != 0 {
		other := *listeners[1-at]
		other.Routes = slices.Clone(c.Routes)
		listeners[1-at] = &other
	}
	w.x = &ir.Xds{HTTP: listeners, TLS: w.x.TLS, GlobalRateLimit: w.x.GlobalRateLimit, Clusters: w.x.Clusters}
}

// TestCacheTranslatesAsTranslate runs random sequences of changes through
// a Cache and compares every result with a fresh translation: the cache is
// an optimisation only.
func TestCacheTranslatesAsTranslate(t *testing.T) {
	for seed := range uint64(20) {
		w := newWorld(seed)
		cache := NewCache()
		for step := range 60 {
			endpointsOnly := w.change()
			var got, want *Resources
			var err error
			// Odd seeds translate every endpoint change with
			// TranslateEndpoints, so that calls follow one another with
			// the same clusters; even seeds interleave full translations.
			if endpointsOnly && (seed%2 == 1 || step%2 == 0) {
				got, err = cache.TranslateEndpoints(w.x.Clusters, w.eps)
				if err == nil {
					want, err = TranslateEndpoints(w.x.Clusters, w.eps)
				}
			} else {
				got, err = cache.Translate(w.x, w.eps)
				if err == nil {
					want, err = TranslateWithEndpoints(w.x, w.eps)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameResources(t, want, got) {
				t.Fatalf("seed %d step %d: the cache's result differs (-fresh +cache):\n%s",
					seed, step, cmp.Diff(want, got, protocmp.Transform()))
			}
			if err := routeBytesShared(cache); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
		}
	}
}

// routeBytesShared checks that the cache keeps one copy of the encoded
// routes of each route configuration: those of every route of a valid
// virtual host are a slice of that virtual host's bytes.
func routeBytesShared(c *Cache) error {
	for name, m := range c.configs {
		vhosts := map[string]*routev3.VirtualHost{}
		for _, vh := range m.vhosts {
			if vh != nil {
				vhosts[vh.GetName()] = vh
			}
		}
		for i, r := range m.routes {
			vh, b := vhosts[r.Hostname], m.built[i]
			if vh == nil || b.err != nil || len(b.wire) == 0 {
				continue
			}
			if !inside(b.wire, vh.ProtoReflect().GetUnknown()) {
				return fmt.Errorf("%s: the routes of %s are a copy of their virtual host's bytes", name, r.Name)
			}
		}
	}
	return nil
}

// sameResources reports whether two results are byte-identical: the same
// resources with the same deterministic wire bytes, the same left-out
// elements and warnings.
func sameResources(t *testing.T, a, b *Resources) bool {
	t.Helper()
	wire := func(r *Resources) [][]byte {
		msgs := allMessages(r)
		out := make([][]byte, 0, len(msgs))
		for _, m := range msgs {
			bytes, err := deterministic.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, bytes)
		}
		return out
	}
	return slices.EqualFunc(wire(a), wire(b), slices.Equal) &&
		slices.Equal(a.LeftOut, b.LeftOut) && slices.Equal(a.Warnings, b.Warnings)
}

func allMessages(r *Resources) []proto.Message {
	out := make([]proto.Message, 0, len(r.Listeners)+len(r.Routes)+len(r.Clusters)+len(r.Endpoints)+len(r.Secrets))
	for _, m := range r.Listeners {
		out = append(out, m)
	}
	for _, m := range r.Routes {
		out = append(out, m)
	}
	for _, m := range r.Clusters {
		out = append(out, m)
	}
	for _, m := range r.Endpoints {
		out = append(out, m)
	}
	for _, m := range r.Secrets {
		out = append(out, m)
	}
	return out
}

// TestCacheReusesUnchangedMessages checks that translating the same IR
// again gives the same messages, and that a change of one route gives new
// messages for its virtual host and route configuration only.
func TestCacheReusesUnchangedMessages(t *testing.T) {
	w := newWorld(1)
	cache := NewCache()
	first, err := cache.Translate(w.x, w.eps)
	if err != nil {
		t.Fatal(err)
	}
	again, err := cache.Translate(w.x, w.eps)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first.Routes {
		if first.Routes[i] != again.Routes[i] {
			t.Errorf("route configuration %s built again", first.Routes[i].GetName())
		}
	}
	for i := range first.Clusters {
		// The translator's own clusters are built by every call.
		own := first.Clusters[i].GetName() == invalidBackendCluster || first.Clusters[i].GetName() == RateLimitClusterName
		if first.Clusters[i] != again.Clusters[i] && !own {
			t.Errorf("cluster %s built again", first.Clusters[i].GetName())
		}
	}
	for i := range first.Endpoints {
		if first.Endpoints[i] != again.Endpoints[i] {
			t.Errorf("assignment %s built again", first.Endpoints[i].GetClusterName())
		}
	}

	// Replace the first route of the first listener by a new one on its hostname.
	l := w.x.HTTP[0]
	changed := *l.Routes[0]
	changed.HeaderMatches = []*ir.StringMatch{{Name: "x-new", Type: ir.MatchExact, Value: "1"}}
	w.replaceListener(l, func(routes []*ir.HTTPRoute) []*ir.HTTPRoute { routes[0] = &changed; return routes })
	next, err := cache.Translate(w.x, w.eps)
	if err != nil {
		t.Fatal(err)
	}
	for i, rc := range next.Routes {
		shouldChange := rc.GetName() == HTTPRouteConfigName("0.0.0.0", l.Port)
		if got := rc != again.Routes[i]; got != shouldChange {
			t.Errorf("route configuration %s: new message = %v, want %v", rc.GetName(), got, shouldChange)
		}
		if !shouldChange {
			continue
		}
		for j, vh := range rc.GetVirtualHosts() {
			if got := vh != again.Routes[i].GetVirtualHosts()[j]; got != (vh.GetName() == changed.Hostname) {
				t.Errorf("virtual host %s: new message = %v", vh.GetName(), got)
			}
		}
	}
}

// TestCacheSharesVirtualHostsAcrossConfigurations checks that two route
// configurations of the same IR routes hold the same virtual hosts, built
// once, after a full translation and after a route change made to both
// (which patches both configurations).
func TestCacheSharesVirtualHostsAcrossConfigurations(t *testing.T) {
	cluster := &ir.Cluster{Name: "service/ns/svc/80", Discovery: ir.DiscoveryDNS, Endpoints: []*ir.Endpoint{{Address: "svc.example.com", Port: 80}}}
	route := func(i int, host string) *ir.HTTPRoute {
		return &ir.HTTPRoute{
			Name: fmt.Sprintf("httproute/ns/r%d/rule/0/match/0", i), Hostname: host,
			PathMatch:   &ir.StringMatch{Type: ir.MatchPrefix, Value: fmt.Sprintf("/p%d", i)},
			Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: cluster.Name, Weight: 1}}},
		}
	}
	hosts := []string{"a.example.com", "b.example.com", "a.example.com", "*", "b.example.com"}
	routes := make([]*ir.HTTPRoute, 0, len(hosts))
	for i, h := range hosts {
		routes = append(routes, route(i, h))
	}
	x := &ir.Xds{Clusters: []*ir.Cluster{cluster}, HTTP: []*ir.HTTPListener{
		{Name: "ns/eg/http", Address: "0.0.0.0", Port: 10080, Hostnames: []string{"*"}, Routes: routes},
		{Name: "ns/eg/alt", Address: "0.0.0.0", Port: 8080, Hostnames: []string{"*"}, Routes: slices.Clone(routes)},
		// Other routes on the same hostnames, between the two in name order.
		{Name: "ns/eg/other", Address: "0.0.0.0", Port: 9080, Hostnames: []string{"*"}, Routes: []*ir.HTTPRoute{route(7, "a.example.com"), route(8, "*")}},
	}}
	cache := NewCache()
	res, err := cache.Translate(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertSharedVhosts(t, res)

	memos := maps.Clone(cache.configs)
	changed := route(9, "b.example.com")
	next := *x
	next.HTTP = slices.Clone(x.HTTP)
	for i := range 2 {
		l := *x.HTTP[i]
		l.Routes = slices.Clone(l.Routes)
		l.Routes[1] = changed
		next.HTTP[i] = &l
	}
	again, err := cache.Translate(&next, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range memos {
		if cache.configs[name] != m {
			t.Fatalf("configuration %s built again, not patched: the test does not test", name)
		}
	}
	if again.Routes[0] == res.Routes[0] || again.Routes[1] == res.Routes[1] {
		t.Fatal("no route configuration changed: the test does not test")
	}
	assertSharedVhosts(t, again)
}

// assertSharedVhosts checks that the configurations of the listeners on
// ports 10080 and 8080 hold the same virtual hosts.
func assertSharedVhosts(t *testing.T, res *Resources) {
	t.Helper()
	configs := map[string]*routev3.RouteConfiguration{}
	for _, rc := range res.Routes {
		configs[rc.GetName()] = rc
	}
	a, b := configs[HTTPRouteConfigName("0.0.0.0", 10080)], configs[HTTPRouteConfigName("0.0.0.0", 8080)]
	if a == nil || b == nil || len(a.GetVirtualHosts()) != 3 || len(b.GetVirtualHosts()) != 3 {
		t.Fatalf("configurations %v and %v", a, b)
	}
	for i, vh := range a.GetVirtualHosts() {
		if b.GetVirtualHosts()[i] != vh {
			t.Errorf("virtual host %s built twice", vh.GetName())
		}
	}
}

// TestWarmEndpointsPreparesThePatch: after WarmEndpoints, the cache holds
// the endpoint index a patch needs (each slot's place in the result, the
// slots of each Service), and the next endpoint change gives what
// TranslateEndpoints gives.
func TestWarmEndpointsPreparesThePatch(t *testing.T) {
	x := benchIR(200)
	eps := benchEDS(x)
	c := NewCache()
	if _, err := c.Translate(x, eps); err != nil {
		t.Fatal(err)
	}
	c.WarmEndpoints(x.Clusters, eps)
	if c.eds == nil || c.eds.at == nil || c.eds.byKey == nil {
		t.Fatal("WarmEndpoints left no endpoint index with places and Services")
	}
	warmed := c.eds
	c.WarmEndpoints(x.Clusters, eps)
	if c.eds != warmed {
		t.Error("WarmEndpoints made the index again")
	}
	key := "bench/svc-00003"
	next := &ir.Endpoints{Services: maps.Clone(eps.Services), ID: ir.NewEndpointsID(),
		Delta: &ir.EndpointsDelta{From: eps.ID, Changed: []string{key}}}
	next.Services[key] = &ir.ServiceEndpoints{Ports: []*ir.PortEndpoints{{Protocol: ir.ProtocolTCP,
		Endpoints: []*ir.Endpoint{{Address: "10.255.0.1", Port: 8080}}}}}
	got, err := c.TranslateEndpoints(x.Clusters, next)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := TranslateEndpoints(x.Clusters, next)
	if !sameResources(t, got, want) {
		t.Fatal("the endpoint change after WarmEndpoints gives other assignments than TranslateEndpoints")
	}
}
