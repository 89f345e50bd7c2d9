package controllers

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

func route(uid, rv string) *gwapiv1.HTTPRoute {
	return &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "r-" + uid, UID: types.UID(uid), ResourceVersion: rv}}
}

// TestStableObjectsKeepsUnchangedPointers checks that an object read again
// with the same UID and resourceVersion gets its previous pointer, and
// that a changed, new or unidentified object gets a copy of its own (the
// one given may point into a list or share fields with the cache).
func TestStableObjectsKeepsUnchangedPointers(t *testing.T) {
	var s stableObjects
	first := &gatewayapi.Resources{
		HTTPRoutes: []*gwapiv1.HTTPRoute{route("a", "1"), route("b", "1"), route("", "1")},
		Services:   []*corev1.Service{{ObjectMeta: metav1.ObjectMeta{Name: "svc", UID: "s", ResourceVersion: "7"}}},
	}
	s.apply(first, false)
	next := &gatewayapi.Resources{
		HTTPRoutes: []*gwapiv1.HTTPRoute{route("a", "1"), route("b", "2"), route("", "1"), route("c", "1")},
		Services:   []*corev1.Service{{ObjectMeta: metav1.ObjectMeta{Name: "svc", UID: "s", ResourceVersion: "7"}}},
	}
	given := append([]*gwapiv1.HTTPRoute(nil), next.HTTPRoutes...)
	s.apply(next, false)
	if next.HTTPRoutes[0] != first.HTTPRoutes[0] {
		t.Error("unchanged route: not its previous pointer")
	}
	if next.Services[0] != first.Services[0] {
		t.Error("unchanged Service: not its previous pointer")
	}
	// A changed Service is kept as given (keptServices gives store objects
	// or copies of its own), not copied again.
	changedSvc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc", UID: "s", ResourceVersion: "8"}}
	svcs := &gatewayapi.Resources{Services: []*corev1.Service{changedSvc}}
	var own stableObjects
	own.apply(&gatewayapi.Resources{Services: []*corev1.Service{first.Services[0]}}, false)
	own.apply(svcs, false)
	if svcs.Services[0] != changedSvc {
		t.Error("changed Service: not the object given")
	}
	// The objects come in the order first seen: a, b, then the new c,
	// and the route without a UID last.
	for i, c := range []struct {
		name        string
		given, prev int
	}{{"changed route (resourceVersion)", 1, 1}, {"new route", 3, -1}, {"route without UID", 2, 2}} {
		got := next.HTTPRoutes[i+1]
		if got == given[c.given] || c.prev >= 0 && got == first.HTTPRoutes[c.prev] || !equality.Semantic.DeepEqual(got, given[c.given]) {
			t.Errorf("%s: not a copy of its own of the object given", c.name)
		}
	}
	// A third snapshot: route b at resourceVersion 2 is now the kept one.
	kept := next.HTTPRoutes[1]
	third := &gatewayapi.Resources{HTTPRoutes: []*gwapiv1.HTTPRoute{route("b", "2")}}
	s.apply(third, false)
	if third.HTTPRoutes[0] != kept {
		t.Error("the changed route's copy was not remembered")
	}
	// Objects the third snapshot does not have are forgotten.
	if len(s.kinds["HTTPRoute"].objects) != 1 || s.kinds["HTTPRoute"].objects["b"] == nil {
		t.Errorf("%d objects remembered after a snapshot of route b alone", len(s.kinds["HTTPRoute"].objects))
	}
	if len(s.kinds["HTTPRoute"].bySource) != 1 {
		t.Errorf("%d sources remembered after a snapshot of route b alone", len(s.kinds["HTTPRoute"].bySource))
	}
}

// TestStableObjectsGiveFirstSeenOrder gives the same routes in shuffled
// orders, as the informer stores list them: each snapshot has them in the
// order first seen, a changed route at the place of its previous object,
// a new one after the others, one gone leaving the others in place.
func TestStableObjectsGiveFirstSeenOrder(t *testing.T) {
	var s stableObjects
	rng := rand.New(rand.NewPCG(1, 2))
	uids := func(routes []*gwapiv1.HTTPRoute) []string {
		out := make([]string, len(routes))
		for i, r := range routes {
			out[i] = string(r.UID)
		}
		return out
	}
	snapshot := func(routes ...*gwapiv1.HTTPRoute) []*gwapiv1.HTTPRoute {
		routes = slices.Clone(routes)
		rng.Shuffle(len(routes), func(i, j int) { routes[i], routes[j] = routes[j], routes[i] })
		res := &gatewayapi.Resources{HTTPRoutes: routes}
		s.apply(res, false)
		return res.HTTPRoutes
	}
	first := snapshot(route("a", "1"), route("b", "1"), route("c", "1"), route("d", "1"))
	order := uids(first) // the first snapshot's order, whatever it is
	for range 5 {
		if got := uids(snapshot(route("a", "1"), route("b", "1"), route("c", "1"), route("d", "1"))); !slices.Equal(got, order) {
			t.Fatalf("order %v, want the first snapshot's %v", got, order)
		}
	}
	changed := order[2]
	got := snapshot(route("a", "1"), route("b", "1"), route("c", "1"), route("d", "1"), route("e", "1"))
	want := append(slices.Clone(order), "e")
	if !slices.Equal(uids(got), want) {
		t.Fatalf("with a new route: order %v, want %v", uids(got), want)
	}
	var routes []*gwapiv1.HTTPRoute
	for _, u := range []string{"a", "b", "c", "d", "e"} {
		rv := "1"
		if u == changed {
			rv = "2"
		}
		if u != order[0] {
			routes = append(routes, route(u, rv))
		}
	}
	got = snapshot(routes...)
	want = append(slices.Clone(order[1:]), "e")
	if !slices.Equal(uids(got), want) {
		t.Fatalf("with a route changed and one gone: order %v, want %v", uids(got), want)
	}
	if got[1].ResourceVersion != "2" {
		t.Errorf("the changed route at index 1 has resourceVersion %s", got[1].ResourceVersion)
	}
}

// TestStableObjectsKnowTheSameSource: an object given again as the same
// pointer (the informer store's, which is replaced on a change, never
// modified) gets its kept copy; once given as a new pointer, the old one
// is forgotten.
func TestStableObjectsKnowTheSameSource(t *testing.T) {
	var s stableObjects
	src := route("a", "1")
	first := &gatewayapi.Resources{HTTPRoutes: []*gwapiv1.HTTPRoute{src}}
	s.apply(first, false)
	kept := first.HTTPRoutes[0]
	if kept == src {
		t.Fatal("the snapshot holds the source object, not a copy")
	}
	again := &gatewayapi.Resources{HTTPRoutes: []*gwapiv1.HTTPRoute{src}}
	s.apply(again, false)
	if again.HTTPRoutes[0] != kept {
		t.Error("the same source pointer did not get its kept copy")
	}
	updated := route("a", "2")
	third := &gatewayapi.Resources{HTTPRoutes: []*gwapiv1.HTTPRoute{updated}}
	s.apply(third, false)
	if third.HTTPRoutes[0] == kept || third.HTTPRoutes[0].ResourceVersion != "2" {
		t.Error("an updated object kept the old copy")
	}
	if _, ok := s.kinds["HTTPRoute"].bySource[src]; ok || len(s.kinds["HTTPRoute"].bySource) != 1 {
		t.Errorf("the replaced source is still remembered (%d sources)", len(s.kinds["HTTPRoute"].bySource))
	}
}

// TestStableObjectsKeepRoutesAcrossStatusWrites checks that a Gateway API
// object written again with the same generation and metadata (a status
// write) keeps its pointer, and that a new generation, new labels or
// annotations, or a deletion make it new; a Service keeps its pointer only
// with the same resourceVersion.
func TestStableObjectsKeepRoutesAcrossStatusWrites(t *testing.T) {
	withGen := func(rv string, gen int64) *gwapiv1.HTTPRoute {
		r := route("a", rv)
		r.Generation, r.Labels, r.Annotations = gen, map[string]string{"l": "1"}, map[string]string{"a": "1"}
		return r
	}
	svc := func(rv string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc", UID: "s", ResourceVersion: rv, Generation: 1}}
	}
	var s stableObjects
	first := &gatewayapi.Resources{HTTPRoutes: []*gwapiv1.HTTPRoute{withGen("1", 3)}, Services: []*corev1.Service{svc("1")}}
	s.apply(first, false)
	statusWritten := &gatewayapi.Resources{HTTPRoutes: []*gwapiv1.HTTPRoute{withGen("2", 3)}, Services: []*corev1.Service{svc("2")}}
	s.apply(statusWritten, false)
	if statusWritten.HTTPRoutes[0] != first.HTTPRoutes[0] {
		t.Error("a route whose status was written (new resourceVersion, same generation) is a new object")
	}
	if statusWritten.Services[0] == first.Services[0] {
		t.Error("a Service with a new resourceVersion kept its previous object")
	}
	for name, changed := range map[string]func(r *gwapiv1.HTTPRoute){
		"a new generation": func(r *gwapiv1.HTTPRoute) { r.Generation++ },
		"new labels":       func(r *gwapiv1.HTTPRoute) { r.Labels = map[string]string{"l": "2"} },
		"new annotations":  func(r *gwapiv1.HTTPRoute) { r.Annotations = nil },
		"a deletion":       func(r *gwapiv1.HTTPRoute) { r.DeletionTimestamp = &metav1.Time{} },
	} {
		var s stableObjects
		before := &gatewayapi.Resources{HTTPRoutes: []*gwapiv1.HTTPRoute{withGen("1", 3)}}
		s.apply(before, false)
		r := withGen("2", 3)
		changed(r)
		after := &gatewayapi.Resources{HTTPRoutes: []*gwapiv1.HTTPRoute{r}}
		s.apply(after, false)
		if after.HTTPRoutes[0] == before.HTTPRoutes[0] {
			t.Errorf("%s: the route kept its previous object", name)
		}
	}
}

// BenchmarkStableObjectsRouteChange measures a snapshot of 10,000 routes
// and 20,000 Services in which one route changed.
func BenchmarkStableObjectsRouteChange(b *testing.B) {
	// The objects of a build are the informer stores' (routes) and
	// keptServices' (Services): the same pointers from build to build but
	// the changed route, a new object.
	base := &gatewayapi.Resources{}
	for i := range 10000 {
		base.HTTPRoutes = append(base.HTTPRoutes, route(fmt.Sprint("r", i), "1"))
	}
	for i := range 20000 {
		base.Services = append(base.Services, &corev1.Service{ObjectMeta: metav1.ObjectMeta{UID: types.UID(fmt.Sprint("s", i)), ResourceVersion: "1"}})
	}
	var s stableObjects
	rng := rand.New(rand.NewPCG(1, 2))
	first := *base
	first.HTTPRoutes, first.Services = slices.Clone(base.HTTPRoutes), slices.Clone(base.Services)
	s.apply(&first, false)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		k := (i * 7919) % len(base.HTTPRoutes)
		base.HTTPRoutes[k] = route(fmt.Sprint("r", k), fmt.Sprint(i+1))
		// The lists of a build are its own (apply replaces their items);
		// the informer stores list the routes in a random order.
		b.StopTimer()
		next := *base
		next.HTTPRoutes, next.Services = slices.Clone(base.HTTPRoutes), slices.Clone(base.Services)
		rng.Shuffle(len(next.HTTPRoutes), func(i, j int) {
			next.HTTPRoutes[i], next.HTTPRoutes[j] = next.HTTPRoutes[j], next.HTTPRoutes[i]
		})
		b.StartTimer()
		s.apply(&next, false)
	}
}

// TestStableObjectsGivenTheSameObjectsAgain: a kind given the same objects
// in the same order as its last build (a route change's Services) gives
// that build's objects again; a later build that changes one still places
// the others where the last builds had them, as copies kept since.
func TestStableObjectsGivenTheSameObjectsAgain(t *testing.T) {
	var s stableObjects
	a, b, c := route("a", "1"), route("b", "1"), route("c", "1")
	build := func(routes ...*gwapiv1.HTTPRoute) []*gwapiv1.HTTPRoute {
		res := &gatewayapi.Resources{HTTPRoutes: slices.Clone(routes)}
		s.apply(res, false)
		return res.HTTPRoutes
	}
	first := build(a, b, c)
	for range 3 {
		if again := build(a, b, c); !slices.Equal(again, first) {
			t.Fatal("the same objects given again did not give the same kept objects")
		}
	}
	c2 := route("c", "2")
	next := build(c2, a, b) // a store's random order
	if next[0] != first[0] || next[1] != first[1] || next[2] == first[2] || next[2].ResourceVersion != "2" {
		t.Fatalf("after the same objects twice, a changed one: %v", uidsAndVersions(next))
	}
	if gone := build(a, b); len(s.kinds["HTTPRoute"].objects) != 2 || gone[0] != first[0] {
		t.Fatalf("route c gone: %d objects kept", len(s.kinds["HTTPRoute"].objects))
	}
}

func uidsAndVersions(routes []*gwapiv1.HTTPRoute) []string {
	out := make([]string, 0, len(routes))
	for _, r := range routes {
		out = append(out, string(r.UID)+"@"+r.ResourceVersion)
	}
	return out
}
