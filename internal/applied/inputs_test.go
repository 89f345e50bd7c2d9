package applied

import (
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/chunked"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// indexWorld is a fleet's HTTPRoutes as the resource translator gives
// them from result to result: each route of a generation has its own IR
// routes (new ones for a new generation), on a first listener, and those
// of every other route made on a second one as well. A listener's IR routes
// are ordered by rule, then route (a route's are far apart, as precedence
// order puts them).
type indexWorld struct {
	rng    *rand.Rand
	routes []*worldRoute
	serial int
	// notARoute puts an IR route no HTTPRoute names first.
	notARoute bool
}

type worldRoute struct {
	key gatewayapi.ObjectKey
	gen int64
	ir  []*ir.HTTPRoute
	// alt puts the route's IR routes on the second listener too.
	alt bool
}

func (w *indexWorld) newIR(r *worldRoute) {
	r.ir = nil
	for i := range 1 + w.rng.IntN(3) {
		r.ir = append(r.ir, &ir.HTTPRoute{Name: fmt.Sprintf("httproute/%s/%s/rule/%d/match/0", r.key.Namespace, r.key.Name, i)})
	}
}

func (w *indexWorld) add() {
	w.serial++
	r := &worldRoute{key: gatewayapi.ObjectKey{Namespace: fmt.Sprintf("ns-%d", w.serial%3), Name: fmt.Sprintf("r-%d", w.serial)}, gen: 1,
		alt: w.serial%2 == 0}
	w.newIR(r)
	w.routes = slices.Insert(w.routes, w.rng.IntN(len(w.routes)+1), r)
}

// change makes one random change: a route's new generation, a route
// added or removed, or an IR route that is no route's coming or going.
func (w *indexWorld) change() {
	switch n := w.rng.IntN(10); {
	case n < 5 && len(w.routes) > 0:
		r := w.routes[w.rng.IntN(len(w.routes))]
		w.routes = slices.Clone(w.routes)
		next := &worldRoute{key: r.key, gen: r.gen + 1, alt: r.alt}
		w.newIR(next)
		w.routes[slices.Index(w.routes, r)] = next
	case n < 7:
		w.add()
	case n < 9 && len(w.routes) > 0:
		i := w.rng.IntN(len(w.routes))
		w.routes = slices.Delete(slices.Clone(w.routes), i, i+1)
	default:
		w.notARoute = !w.notARoute
	}
}

// result is the world as a result, with a status per route.
func (w *indexWorld) result() *gatewayapi.Result {
	var all, every2nd []*ir.HTTPRoute
	for rule := range 3 {
		for _, r := range w.routes {
			if rule < len(r.ir) {
				all = append(all, r.ir[rule])
				if r.alt {
					every2nd = append(every2nd, r.ir[rule])
				}
			}
		}
	}
	statuses := make([]gatewayapi.RouteStatus, 0, len(w.routes))
	for _, r := range w.routes {
		conds := []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, ObservedGeneration: r.gen}}
		statuses = append(statuses, gatewayapi.RouteStatus{ObjectKey: r.key,
			Parents: []gwapiv1.RouteParentStatus{{ParentRef: gwapiv1.ParentReference{Name: "eg"}, Conditions: conds}}})
	}
	if w.notARoute {
		all = append([]*ir.HTTPRoute{{Name: "not-a-route"}}, all...)
	}
	return &gatewayapi.Result{
		Fleets: []*bus.Fleet{{Name: "ns/eg", Xds: &ir.Xds{HTTP: []*ir.HTTPListener{
			{Name: "ns/eg/http", Routes: all},
			{Name: "ns/eg/alt", Routes: every2nd},
		}, TLS: []*ir.TLSListener{{Name: "ns/eg/tls", Routes: []*ir.TLSRoute{{Name: "tlsroute/ns/t/rule/0"}}}}}}},
		Statuses: gatewayapi.Statuses{HTTPRoutes: chunked.Of(statuses)},
	}
}

// TestPatchedIndexIsIndex indexes a world's results as they follow one
// another, each patched from the last when it can be, and checks every
// index against one computed whole without route keys: the same inputs,
// the same counts of IR routes per route. The route keys kept are those of
// the last result's IR routes only.
func TestPatchedIndexIsIndex(t *testing.T) {
	for seed := range uint64(20) {
		checkPatchedIndex(t, seed, 8, 60)
	}
	// Lists long enough that a route's IR routes are added and removed
	// far apart (more than maxMultisetRun between them): the patch finds
	// them by their edits.
	for seed := range uint64(2) {
		checkPatchedIndex(t, seed, 3000, 30)
	}
}

// checkPatchedIndex makes steps random changes to a world of routes,
// indexing each result patched from the last and whole, and checks they
// agree and that nearly every index was patched.
func checkPatchedIndex(t *testing.T, seed uint64, routes, steps int) {
	w := &indexWorld{rng: rand.New(rand.NewPCG(seed, 2))}
	for range routes {
		w.add()
	}
	keys := &routeKeys{keys: map[*ir.HTTPRoute]*routeKey{}}
	var last *fleetIndex
	older := make([]*gatewayapi.Result, 0, steps)
	patched, indexed := 0, 0
	check := func(step int, res *gatewayapi.Result) *fleetIndex {
		got := indexResult(res, keys, last)
		want := indexResult(res, nil, nil)
		if !reflect.DeepEqual(flatInputs(got), flatInputs(want)) || !reflect.DeepEqual(got.gateways, want.gateways) ||
			!reflect.DeepEqual(got.listenerSets, want.listenerSets) {
			t.Fatalf("seed %d step %d: index %+v, computed whole %+v", seed, step, flatInputs(got)["ns/eg"], flatInputs(want)["ns/eg"])
		}
		patched, indexed = patched+got.patched, indexed+1
		if irRoutes := httpRouteCount(res); len(keys.keys) > 2*irRoutes {
			t.Fatalf("seed %d step %d: %d route keys kept for %d IR routes", seed, step, len(keys.keys), irRoutes)
		}
		return got
	}
	for step := range steps {
		w.change()
		res := w.result()
		last = check(step, res)
		// Every fifth step, an older result is indexed after it (the
		// Tracker indexes the served result when its cached index is
		// gone), and patched from it; the next result is patched from
		// that older one's index.
		if older = append(older, res); step%5 == 4 && len(older) > 3 {
			last = check(step, older[len(older)-3])
		}
	}
	// Nearly every index is patched: the listeners stay.
	if patched < steps {
		t.Errorf("seed %d, %d routes: %d of %d indexes patched", seed, routes, patched, indexed)
	}
}

func TestChanged(t *testing.T) {
	routes := map[byte]*ir.HTTPRoute{}
	list := func(s string) []*ir.HTTPRoute {
		out := make([]*ir.HTTPRoute, 0, len(s))
		for _, c := range []byte(s) {
			if routes[c] == nil {
				routes[c] = &ir.HTTPRoute{Name: string(c)}
			}
			out = append(out, routes[c])
		}
		return out
	}
	names := func(rs []*ir.HTTPRoute) string {
		s := ""
		for _, r := range rs {
			s += r.Name
		}
		return s
	}
	tests := []struct {
		name, old, cur, gone, came string
		limit                      int
		ok                         bool
	}{
		{"same", "abcd", "abcd", "", "", 4, true},
		{"replaced far apart", "abcdefgh", "aBcdefGh", "bg", "BG", 4, true},
		{"replaced far apart over the limit", "abcdefgh", "aBcdefGh", "", "", 3, false},
		{"inserted and removed far apart", "abcdefgh", "aXbcdefh", "g", "X", 2, true},
		{"moved within the run", "abcdefgh", "acdebfgh", "", "", 0, true},
		{"moved and replaced", "abcdefgh", "acdeBfgh", "b", "B", 2, true},
		{"removed", "abcd", "abd", "c", "", 1, true},
		{"to empty", "abcd", "", "abcd", "", 4, true},
		{"to empty over the limit", "abcd", "", "", "", 3, false},
		{"all new", "abcdefgh", "ABCDEFGH", "", "", 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gone, came, ok := changed(list(tt.old), list(tt.cur), tt.limit)
			if ok != tt.ok || ok && (names(gone) != tt.gone || names(came) != tt.came) {
				t.Fatalf("changed(%q, %q, %d) = %q, %q, %v; want %q, %q, %v",
					tt.old, tt.cur, tt.limit, names(gone), names(came), ok, tt.gone, tt.came, tt.ok)
			}
		})
	}
}

// TestRouteKeysOfAGoneFleetAreSwept checks that the route keys of a fleet
// that went (whose IR routes no patch sees go) are swept once they
// outnumber twice the IR routes indexed: the index is then computed whole.
func TestRouteKeysOfAGoneFleetAreSwept(t *testing.T) {
	fleet := func(name string, routes int) *bus.Fleet {
		rs := make([]*ir.HTTPRoute, 0, routes)
		for i := range routes {
			rs = append(rs, &ir.HTTPRoute{Name: fmt.Sprintf("httproute/ns/%s-%d/rule/0/match/0", name, i)})
		}
		return &bus.Fleet{Name: "ns/" + name, Xds: &ir.Xds{HTTP: []*ir.HTTPListener{{Name: "ns/" + name + "/http", Routes: rs}}}}
	}
	a, b := fleet("a", 2), fleet("b", 10)
	keys := &routeKeys{keys: map[*ir.HTTPRoute]*routeKey{}}
	last := indexResult(&gatewayapi.Result{Fleets: []*bus.Fleet{a, b}}, keys, nil)
	if len(keys.keys) != 12 {
		t.Fatalf("%d route keys for 12 IR routes", len(keys.keys))
	}
	idx := indexResult(&gatewayapi.Result{Fleets: []*bus.Fleet{a}}, keys, last)
	if idx.patched != 0 || len(keys.keys) != 2 {
		t.Fatalf("fleet b gone: %d fleets patched, %d route keys kept for 2 IR routes", idx.patched, len(keys.keys))
	}
	idx = indexResult(&gatewayapi.Result{Fleets: []*bus.Fleet{a}}, keys, idx)
	if idx.patched != 1 {
		t.Fatalf("%d fleets patched, want 1", idx.patched)
	}
}

// BenchmarkIndexRouteChange measures indexing a result of 10,000
// HTTPRoutes (about 20,000 IR routes on one listener, half of them on
// another, a status each) after one route's new generation, patched from
// the last index and computed whole.
func BenchmarkIndexRouteChange(b *testing.B) {
	for _, mode := range []string{"patched", "whole"} {
		b.Run(mode, func(b *testing.B) {
			w := &indexWorld{rng: rand.New(rand.NewPCG(1, 2))}
			for range 10000 {
				w.serial++
				r := &worldRoute{key: gatewayapi.ObjectKey{Namespace: fmt.Sprintf("ns-%d", w.serial%10), Name: fmt.Sprintf("r-%d", w.serial)}, gen: 1,
					alt: w.serial%2 == 0}
				w.newIR(r)
				w.routes = append(w.routes, r)
			}
			keys := &routeKeys{keys: map[*ir.HTTPRoute]*routeKey{}}
			last := indexResult(w.result(), keys, nil)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				i := w.rng.IntN(len(w.routes))
				next := &worldRoute{key: w.routes[i].key, gen: w.routes[i].gen + 1, alt: w.routes[i].alt}
				w.newIR(next)
				w.routes = slices.Clone(w.routes)
				w.routes[i] = next
				res := w.result()
				b.StartTimer()
				if mode == "whole" {
					last = nil
				}
				last = indexResult(res, keys, last)
			}
		})
	}
}

// TestInputsEqual checks equal on inputs made apart: the same entries in
// maps of their own are equal, whatever the IR routes' counts; a
// generation or an entry more or less is not.
func TestInputsEqual(t *testing.T) {
	mk := func(other map[string]int64, http map[string]routeInput) *inputs {
		in := newRouteInputs(http)
		return &inputs{other: other, http: in, httpSum: sumOf(in)}
	}
	gw := map[string]int64{"Gateway ns/eg": 1}
	baseHTTP := map[string]routeInput{"HTTPRoute ns/a": {gen: 1, n: 2}, "HTTPRoute ns/b": {gen: 3, n: 1}}
	base := mk(gw, baseHTTP)
	patched := &inputs{other: gw, http: newRouteInputs(baseHTTP).with(map[string]routeInput{
		"HTTPRoute ns/a": {gen: 1, n: 1}, "HTTPRoute ns/c": {gen: 1, n: 1}, "HTTPRoute ns/b": {}})}
	patched.httpSum = sumOf(patched.http)
	patchedBack := &inputs{other: gw, http: patched.http.with(map[string]routeInput{
		"HTTPRoute ns/c": {}, "HTTPRoute ns/b": {gen: 3, n: 2}})}
	patchedBack.httpSum = sumOf(patchedBack.http)
	tests := []struct {
		name  string
		other *inputs
		want  bool
	}{
		{"itself", base, true},
		{"same entries", mk(map[string]int64{"Gateway ns/eg": 1},
			map[string]routeInput{"HTTPRoute ns/b": {gen: 3, n: 1}, "HTTPRoute ns/a": {gen: 1, n: 1}}), true},
		{"a route's generation", mk(gw, map[string]routeInput{"HTTPRoute ns/a": {gen: 2, n: 2}, "HTTPRoute ns/b": {gen: 3, n: 1}}), false},
		{"a route less", mk(gw, map[string]routeInput{"HTTPRoute ns/a": {gen: 1, n: 2}}), false},
		{"the Gateway's generation", mk(map[string]int64{"Gateway ns/eg": 2}, baseHTTP), false},
		{"patched: a route replaced", patched, false},
		{"patched back", patchedBack, true},
		{"none", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := base.equal(tt.other); got != tt.want {
				t.Fatalf("equal = %v, want %v", got, tt.want)
			}
			if got := tt.other.equal(base); got != tt.want {
				t.Fatalf("equal the other way = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestChangedGivesUpOnLongRuns: a run longer than maxMultisetRun (every
// IR route new, as after a full translation that built them again) is
// given up whatever the limit, without mapping it.
func TestChangedGivesUpOnLongRuns(t *testing.T) {
	old, cur := make([]*ir.HTTPRoute, maxMultisetRun), make([]*ir.HTTPRoute, maxMultisetRun+1)
	for i := range old {
		old[i] = &ir.HTTPRoute{}
	}
	for i := range cur {
		cur[i] = &ir.HTTPRoute{}
	}
	if _, _, ok := changed(old, cur, 1<<20); ok {
		t.Fatal("a run of every IR route new was compared")
	}
	cur = append(slices.Clone(old[:10]), old[11:]...)
	if gone, came, ok := changed(old, cur, 1); !ok || len(gone) != 1 || len(came) != 0 {
		t.Fatalf("one IR route removed: %d gone, %d came, %v", len(gone), len(came), ok)
	}
}

// flatInput is an inputs with its HTTPRoute entries in one map, whatever
// the maps that hold them.
type flatInput struct {
	other   map[string]int64
	http    map[string]routeInput
	httpSum uint64
	xds     *ir.Xds
}

func flatInputs(idx *fleetIndex) map[string]flatInput {
	out := map[string]flatInput{}
	for fleet, in := range idx.inputs {
		http := flatOf(in.http)
		if len(http) != in.http.len() {
			panic("routeInputs: len is not the number of entries")
		}
		out[fleet] = flatInput{other: in.other, http: http, httpSum: in.httpSum, xds: in.xds}
	}
	return out
}

// TestRouteInputsWith checks routeInputs through random patches against a
// plain map: the same entries and size, whether the overlay is merged or
// not.
func TestRouteInputsWith(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	want := map[string]routeInput{}
	for i := range 400 {
		want[fmt.Sprintf("HTTPRoute ns/r%d", i)] = routeInput{gen: 1, n: 1 + i%3}
	}
	got := newRouteInputs(maps.Clone(want))
	merged := 0
	for step := range 300 {
		changes := map[string]routeInput{}
		for range 1 + rng.IntN(12) {
			k := fmt.Sprintf("HTTPRoute ns/r%d", rng.IntN(500))
			if rng.IntN(3) == 0 {
				changes[k] = routeInput{}
			} else {
				changes[k] = routeInput{gen: int64(step), n: 1 + rng.IntN(3)}
			}
		}
		for k, e := range changes {
			if e.n == 0 {
				delete(want, k)
			} else {
				want[k] = e
			}
		}
		before := got
		got = got.with(changes)
		if got.over == nil {
			merged++
		}
		flat := flatOf(got)
		if !maps.Equal(flat, want) || got.len() != len(want) {
			t.Fatalf("step %d: %d entries (len %d), want %d", step, len(flat), got.len(), len(want))
		}
		for k, e := range want {
			if g, ok := got.get(k); !ok || g != e {
				t.Fatalf("step %d: get(%s) = %v, %v; want %v", step, k, g, ok, e)
			}
		}
		if _, ok := got.get("HTTPRoute ns/none"); ok {
			t.Fatalf("step %d: a key never added is found", step)
		}
		if before.sameGenerations(got) != maps.EqualFunc(flatOf(before), want, func(a, b routeInput) bool { return a.gen == b.gen }) {
			t.Fatalf("step %d: sameGenerations disagrees with the entries", step)
		}
	}
	if merged == 0 {
		t.Error("no overlay was merged: the test does not reach maxOverlay")
	}
}

// flatOf returns the entries of r in one map.
func flatOf(r *routeInputs) map[string]routeInput {
	return maps.Collect(iter.Seq2[string, routeInput](r.all))
}
