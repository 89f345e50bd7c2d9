package applied

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// TestIndexWithRouteKeysIsIndex indexes random results, each keeping some
// IR routes of the one before (as the resource translator does), with
// route keys kept from result to result and without: the indexes are the
// same, and the keys hold the last result's IR routes only.
func TestIndexWithRouteKeysIsIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	keys := &routeKeys{keys: map[*ir.HTTPRoute]*routeKey{}}
	var routes []*ir.HTTPRoute
	newRoute := func() *ir.HTTPRoute {
		names := []string{"httproute/ns/a/rule/0/match/0", "httproute/ns/b/rule/1/match/0", "httproute/other/a/rule/0/match/1", "not-a-route"}
		return &ir.HTTPRoute{Name: names[rng.IntN(len(names))]}
	}
	for step := range 50 {
		// Some IR routes go, some come; the others are kept.
		next := routes[:0:0]
		for _, r := range routes {
			if rng.IntN(4) != 0 {
				next = append(next, r)
			}
		}
		for range rng.IntN(4) {
			next = append(next, newRoute())
		}
		routes = next
		res := indexedResult(routes, int64(step))
		got, want := indexResult(res, keys), indexResult(res, nil)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d: index with route keys %v, without %v", step, got.inputs, want.inputs)
		}
		if len(keys.keys) > len(routes) {
			t.Fatalf("step %d: %d route keys kept for %d IR routes", step, len(keys.keys), len(routes))
		}
	}
}

// indexedResult is a result whose fleet has routes on one listener and
// half of them on another, with the statuses of routes ns/a and other/a.
func indexedResult(routes []*ir.HTTPRoute, gen int64) *gatewayapi.Result {
	conds := []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, ObservedGeneration: gen}}
	status := func(ns, name string) gatewayapi.RouteStatus {
		return gatewayapi.RouteStatus{ObjectKey: gatewayapi.ObjectKey{Namespace: ns, Name: name},
			Parents: []gwapiv1.RouteParentStatus{{ParentRef: gwapiv1.ParentReference{Name: "eg"}, Conditions: conds}}}
	}
	return &gatewayapi.Result{
		Fleets: []*bus.Fleet{{Name: "ns/eg", Xds: &ir.Xds{HTTP: []*ir.HTTPListener{
			{Name: "ns/eg/http", Routes: routes},
			{Name: "ns/eg/alt", Routes: routes[:len(routes)/2]},
		}, TLS: []*ir.TLSListener{{Name: "ns/eg/tls", Routes: []*ir.TLSRoute{{Name: fmt.Sprintf("tlsroute/ns/t%d/rule/0", gen%2)}}}}}}},
		Statuses: gatewayapi.Statuses{HTTPRoutes: []gatewayapi.RouteStatus{status("ns", "a"), status("other", "a")}},
	}
}

// BenchmarkIndexRouteChange measures indexing a result of 10,000
// HTTPRoutes (40,000 IR routes on two listeners) after one route changed.
func BenchmarkIndexRouteChange(b *testing.B) {
	const n = 10000
	routes := make([]*ir.HTTPRoute, 0, 2*n)
	for i := range n {
		for r := range 2 {
			routes = append(routes, &ir.HTTPRoute{Name: fmt.Sprintf("httproute/ns-%d/route-%d/rule/%d/match/0", i%10, i, r)})
		}
	}
	keys := &routeKeys{keys: map[*ir.HTTPRoute]*routeKey{}}
	indexResult(indexedResult(routes, 1), keys)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		k := (i * 7919) % len(routes)
		routes = append(routes[:0:0], routes...)
		routes[k] = &ir.HTTPRoute{Name: routes[k].Name}
		indexResult(indexedResult(routes, 1), keys)
	}
}
