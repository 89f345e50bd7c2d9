package translator

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/benchheap"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// benchIR is a fleet with one HTTP listener and routes routes spread over
// 100 hostnames, each with a path and a header match, forwarding to one of
// routes/10 EDS clusters of three endpoints.
func benchIR(routes int) *ir.Xds {
	clusters := max(routes/10, 1)
	x := &ir.Xds{}
	for c := range clusters {
		x.Clusters = append(x.Clusters, &ir.Cluster{
			Name:      fmt.Sprintf("service/bench/svc-%05d/8080", c),
			Discovery: ir.DiscoveryEDS,
			Endpoints: []*ir.Endpoint{
				{Address: fmt.Sprintf("10.%d.%d.1", c/256, c%256), Port: 8080},
				{Address: fmt.Sprintf("10.%d.%d.2", c/256, c%256), Port: 8080},
				{Address: fmt.Sprintf("10.%d.%d.3", c/256, c%256), Port: 8080},
			},
		})
	}
	l := &ir.HTTPListener{Name: "bench/eg/http", Address: "0.0.0.0", Port: 10080, Hostnames: []string{"*"}}
	for r := range routes {
		l.Routes = append(l.Routes, &ir.HTTPRoute{
			Name:          fmt.Sprintf("httproute/bench/route-%05d/rule/0/match/0", r),
			Hostname:      fmt.Sprintf("host-%03d.example.com", r%100),
			PathMatch:     &ir.StringMatch{Type: ir.MatchPrefix, Value: fmt.Sprintf("/path-%05d", r)},
			HeaderMatches: []*ir.StringMatch{{Name: "x-tenant", Type: ir.MatchExact, Value: fmt.Sprintf("t%d", r%7)}},
			Destination: &ir.Destination{Backends: []*ir.WeightedCluster{
				{Cluster: x.Clusters[r%clusters].Name, Weight: 1},
			}},
		})
	}
	x.HTTP = []*ir.HTTPListener{l}
	return x
}

// BenchmarkXdsTranslate measures Translate (including the IR and output
// validation it does) for 1,000 and 10,000 routes.
func BenchmarkXdsTranslate(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		x := benchIR(n)
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := Translate(x)
				if err != nil {
					b.Fatal(err)
				}
				if got := len(res.Routes[0].GetVirtualHosts()); got != 100 {
					b.Fatalf("got %d virtual hosts, want 100", got)
				}
			}
		})
	}
}

// withRouteChanged returns l with one route replaced, the i-th change: a
// new IR route with another header match; the other routes keep their
// pointers.
func withRouteChanged(l *ir.HTTPListener, i int) *ir.HTTPListener {
	k := (i * 7919) % len(l.Routes)
	changed := *l.Routes[k]
	changed.HeaderMatches = []*ir.StringMatch{{Name: "x-tenant", Type: ir.MatchExact, Value: fmt.Sprintf("v%d", i)}}
	routes := slices.Clone(l.Routes)
	routes[k] = &changed
	listener := *l
	listener.Routes = routes
	return &listener
}

// BenchmarkXdsTranslateRouteChange measures what one route changing costs
// in a fleet of 10,000 routes translated with a Cache: each iteration
// replaces one route (a new IR route, as the resource translator gives for
// a changed HTTPRoute; every other route keeps its pointer) and translates
// the fleet again.
func BenchmarkXdsTranslateRouteChange(b *testing.B) {
	const n = 10000
	x := benchIR(n)
	cache := NewCache()
	if _, err := cache.Translate(x, nil); err != nil {
		b.Fatal(err)
	}
	l := x.HTTP[0]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		l = withRouteChanged(l, i)
		next := &ir.Xds{HTTP: []*ir.HTTPListener{l}, Clusters: x.Clusters}
		res, err := cache.Translate(next, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.LeftOut) > 0 {
			b.Fatalf("left out: %v", res.LeftOut)
		}
	}
}

// benchEDS makes the clusters of x take their endpoints from Services
// (one each, three endpoints), and returns the endpoints snapshot.
func benchEDS(x *ir.Xds) *ir.Endpoints {
	eps := &ir.Endpoints{Services: map[string]*ir.ServiceEndpoints{}, ID: ir.NewEndpointsID()}
	for i, c := range x.Clusters {
		src := &ir.EndpointSource{Namespace: "bench", Name: fmt.Sprintf("svc-%05d", i), Port: 8080}
		c.Endpoints, c.EndpointSource = nil, src
		eps.Services[src.ServiceKey()] = &ir.ServiceEndpoints{Ports: []*ir.PortEndpoints{{Protocol: ir.ProtocolTCP, Endpoints: []*ir.Endpoint{
			{Address: fmt.Sprintf("10.%d.%d.1", i/256, i%256), Port: 8080},
			{Address: fmt.Sprintf("10.%d.%d.2", i/256, i%256), Port: 8080},
		}}}}
	}
	return eps
}

// BenchmarkTranslateEndpointsAfterRouteChange measures the first endpoint
// change after a route change, at 10,000 routes and 10,000 EDS clusters:
// each iteration translates a route change (not timed), then the
// endpoints of one Service changing (timed).
func BenchmarkTranslateEndpointsAfterRouteChange(b *testing.B) {
	const n = 10000
	x := benchIR(n * 10) // n clusters
	eps := benchEDS(x)
	cache := NewCache()
	if _, err := cache.Translate(x, eps); err != nil {
		b.Fatal(err)
	}
	l := x.HTTP[0]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		l = withRouteChanged(l, i)
		next := &ir.Xds{HTTP: []*ir.HTTPListener{l}, Clusters: x.Clusters}
		if _, err := cache.Translate(next, eps); err != nil {
			b.Fatal(err)
		}
		key := fmt.Sprintf("bench/svc-%05d", i%n)
		nextEps := &ir.Endpoints{Services: maps.Clone(eps.Services), ID: ir.NewEndpointsID(),
			Delta: &ir.EndpointsDelta{From: eps.ID, Changed: []string{key}}}
		nextEps.Services[key] = &ir.ServiceEndpoints{Ports: []*ir.PortEndpoints{{Protocol: ir.ProtocolTCP,
			Endpoints: []*ir.Endpoint{{Address: "10.255.0.1", Port: 8080 + uint32(i%100)}}}}}
		eps = nextEps
		b.StartTimer()
		res, err := cache.TranslateEndpoints(x.Clusters, eps)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Endpoints) != n {
			b.Fatalf("%d assignments, want %d", len(res.Endpoints), n)
		}
	}
}

// BenchmarkCacheHeap reports the heap a Cache and its result hold after
// translating 10,000 routes (1,000 EDS clusters and their assignments):
// what a fleet's translation keeps alive between changes. held-MB is
// their objects, resident-MB the heap memory the runtime keeps for them
// once every free page is returned (their objects and the room left
// unused in the pages they share with the translation's garbage).
func BenchmarkCacheHeap(b *testing.B) {
	x := benchIR(10000)
	eps := benchEDS(x)
	var held benchheap.Memory
	for b.Loop() {
		before := benchheap.Settled()
		cache := NewCache()
		res, err := cache.Translate(x, eps)
		if err != nil {
			b.Fatal(err)
		}
		held = benchheap.Settled().Since(before)
		runtime.KeepAlive(cache)
		runtime.KeepAlive(res)
	}
	held.Report(b)
}
