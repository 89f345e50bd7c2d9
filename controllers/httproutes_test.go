package controllers

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/identity"
)

// routeWorld is an informer store of HTTPRoutes changed at random, each
// change recorded as the informer's handler records it.
type routeWorld struct {
	t       *testing.T
	rng     *rand.Rand
	store   toolscache.Store
	set     *httpRouteSet
	serial  int
	version int
	uids    map[string]types.UID
}

func (w *routeWorld) route(name string, gen int64, parent, service string) *gwapiv1.HTTPRoute {
	w.version++
	uid := w.uids[name]
	if gen == 1 {
		// A new object, or one deleted and created again: a UID of its own.
		uid = types.UID(fmt.Sprintf("uid-%s-%d", name, w.version))
		w.uids[name] = uid
	}
	return &gwapiv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: uid,
			Generation: gen, ResourceVersion: fmt.Sprint(w.version)},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{Name: gwapiv1.ObjectName(parent)}}},
			Rules: []gwapiv1.HTTPRouteRule{{BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
				BackendObjectReference: gwapiv1.BackendObjectReference{Name: gwapiv1.ObjectName(service)}}}}}},
		},
		// As the store has routes once their status is written (at
		// start-up, by a provider that wrote it before).
		Status: gwapiv1.HTTPRouteStatus{RouteStatus: gwapiv1.RouteStatus{Parents: []gwapiv1.RouteParentStatus{{
			ParentRef: gwapiv1.ParentReference{Name: gwapiv1.ObjectName(parent)}, ControllerName: "example.com/gateway",
			Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", ObservedGeneration: gen}},
		}}}},
	}
}

func (w *routeWorld) put(r *gwapiv1.HTTPRoute) {
	if err := w.store.Update(r); err != nil {
		w.t.Fatal(err)
	}
	w.set.changes.add(types.NamespacedName{Namespace: r.Namespace, Name: r.Name})
}

func (w *routeWorld) routes() []*gwapiv1.HTTPRoute {
	items := w.store.List()
	out := make([]*gwapiv1.HTTPRoute, 0, len(items))
	for _, o := range items {
		out = append(out, o.(*gwapiv1.HTTPRoute))
	}
	return out
}

// change makes one random change: a route added, its spec changed (a new
// generation: another parent or Service), its status written (a new
// object of the same generation), the route deleted, or deleted and
// created again.
func (w *routeWorld) change() {
	parents, services := []string{"eg", "other"}, []string{"svc-a", "svc-b", "svc-c"}
	all := w.routes()
	switch n := w.rng.IntN(10); {
	case n < 3 || len(all) == 0:
		w.serial++
		w.put(w.route(fmt.Sprintf("r-%d", w.serial), 1, parents[w.rng.IntN(2)], services[w.rng.IntN(3)]))
	case n < 6:
		old := all[w.rng.IntN(len(all))]
		w.put(w.route(old.Name, old.Generation+1, parents[w.rng.IntN(2)], services[w.rng.IntN(3)]))
	case n < 8:
		old := all[w.rng.IntN(len(all))]
		next := old.DeepCopy()
		w.version++
		next.ResourceVersion = fmt.Sprint(w.version)
		next.Status.Parents = []gwapiv1.RouteParentStatus{{ParentRef: gwapiv1.ParentReference{Name: "eg"}}}
		w.put(next)
	case n < 9:
		old := all[w.rng.IntN(len(all))]
		if err := w.store.Delete(old); err != nil {
			w.t.Fatal(err)
		}
		w.set.changes.add(types.NamespacedName{Namespace: old.Namespace, Name: old.Name})
	default:
		// Deleted and created again under its name (another object, of
		// generation 1 again) before the next build.
		old := all[w.rng.IntN(len(all))]
		w.put(w.route(old.Name, 1, parents[w.rng.IntN(2)], services[w.rng.IntN(3)]))
	}
}

// TestHTTPRouteSetIsTheStoresAttachedRoutes builds after random changes,
// a few at a time, with our parents changing now and then, and checks each
// build against the store: the attached routes, the store's objects, the
// Services of those counted, and the routes of the last build in the same
// order as before.
func TestHTTPRouteSetIsTheStoresAttachedRoutes(t *testing.T) {
	for seed := range uint64(10) {
		w := &routeWorld{t: t, rng: rand.New(rand.NewPCG(seed, 7)), store: toolscache.NewStore(toolscache.MetaNamespaceKeyFunc),
			set: &httpRouteSet{}, uids: map[string]types.UID{}}
		var memo routeMemo
		ours := parentsOf("eg")
		var last []*gwapiv1.HTTPRoute
		for step := range 200 {
			for range 1 + w.rng.IntN(3) {
				w.change()
			}
			if w.rng.IntN(20) == 0 {
				ours = parentsOf([][]string{{"eg"}, {"other"}, {"eg", "other"}}[w.rng.IntN(3)]...)
			}
			got, err := w.set.build(w.store, ours, &memo)
			if err != nil {
				t.Fatal(err)
			}
			want := map[types.NamespacedName]*gwapiv1.HTTPRoute{}
			wantServices := sets.New[types.NamespacedName]()
			for _, r := range w.routes() {
				if attachedTo(r, ours) {
					want[types.NamespacedName{Namespace: r.Namespace, Name: r.Name}] = r
					collectHTTPBackendRefs(r, wantServices)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("seed %d step %d: %d routes, want %d", seed, step, len(got), len(want))
			}
			for _, r := range got {
				key := types.NamespacedName{Namespace: r.Namespace, Name: r.Name}
				if r != want[key] {
					t.Fatalf("seed %d step %d: route %s is not the store's object", seed, step, key)
				}
			}
			if !maps.Equal(memo.services.set(), wantServices) && (len(memo.services.count) != 0 || len(wantServices) != 0) {
				t.Fatalf("seed %d step %d: services %v, want %v", seed, step, memo.services.set().UnsortedList(), wantServices.UnsortedList())
			}
			checkOrder(t, seed, step, last, got)
			last = got
		}
	}
}

// checkOrder checks that the routes of got also in last are in last's
// order.
func checkOrder(t *testing.T, seed uint64, step int, last, got []*gwapiv1.HTTPRoute) {
	t.Helper()
	lastAt := map[types.NamespacedName]int{}
	for i, r := range last {
		lastAt[types.NamespacedName{Namespace: r.Namespace, Name: r.Name}] = i
	}
	prev := -1
	for _, r := range got {
		key := types.NamespacedName{Namespace: r.Namespace, Name: r.Name}
		i, ok := lastAt[key]
		if !ok {
			continue
		}
		if i < prev {
			t.Fatalf("seed %d step %d: route %s moved before another one", seed, step, key)
		}
		prev = i
	}
}

// TestHTTPRouteSetLooksAtTheChangedRoutesOnly checks that a build after
// one route's change gives a new object for that route only, and that a
// route changed without a recorded event is not seen until its event (the
// informer's handler records every event before it queues a build).
func TestHTTPRouteSetLooksAtTheChangedRoutesOnly(t *testing.T) {
	w := &routeWorld{t: t, rng: rand.New(rand.NewPCG(1, 1)), store: toolscache.NewStore(toolscache.MetaNamespaceKeyFunc),
		set: &httpRouteSet{}, uids: map[string]types.UID{}}
	var memo routeMemo
	ours := parentsOf("eg")
	for i := range 100 {
		w.put(w.route(fmt.Sprintf("r-%02d", i), 1, "eg", "svc"))
	}
	first, err := w.set.build(w.store, ours, &memo)
	if err != nil || len(first) != 100 {
		t.Fatalf("first build: %d routes, %v", len(first), err)
	}
	w.put(w.route("r-07", 2, "eg", "svc-7"))
	second, err := w.set.build(w.store, ours, &memo)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		if (first[i] != second[i]) != (i == 7) {
			t.Fatalf("route %d: a new object %v", i, first[i] != second[i])
		}
	}
	if !memo.services.set().Has(types.NamespacedName{Namespace: "ns", Name: "svc-7"}) {
		t.Fatalf("services %v lack svc-7", memo.services.set().UnsortedList())
	}
	// A new generation that refers to the same Service (no other route
	// does) leaves the counted set as it was: the same set (see
	// refCounts.set).
	before := memo.services.set()
	w.put(w.route("r-07", 3, "eg", "svc-7"))
	if _, err := w.set.build(w.store, ours, &memo); err != nil {
		t.Fatal(err)
	}
	if !identity.Map(before, memo.services.set()) {
		t.Fatal("a route referring to the same Service again made a new set of Services")
	}
	// A change the handler has not recorded yet: the next build does not see it.
	unrecorded := w.route("r-08", 2, "eg", "svc-8")
	if err := w.store.Update(unrecorded); err != nil {
		t.Fatal(err)
	}
	third, _ := w.set.build(w.store, ours, &memo)
	if third[8] != second[8] {
		t.Fatal("route r-08's new object given without an event")
	}
	w.set.changes.add(types.NamespacedName{Namespace: "ns", Name: "r-08"})
	fourth, _ := w.set.build(w.store, ours, &memo)
	if fourth[8].Generation != 2 || !slices.Equal(fourth[:8], third[:8]) {
		t.Fatal("route r-08's event did not bring its new generation, or others changed")
	}
}

// TestRecordingHandlerRecordsEveryEvent: every event's key is recorded, and
// only the events the predicate accepts are passed on (a status write is
// recorded and queues nothing).
func TestRecordingHandlerRecordsEveryEvent(t *testing.T) {
	var changed pendingKeys
	passed := 0
	next := handler.Funcs{UpdateFunc: func(context.Context, event.UpdateEvent, queue) { passed++ },
		CreateFunc: func(context.Context, event.CreateEvent, queue) { passed++ }}
	h := recordingHandler(&changed, objectKey, predicate.GenerationChangedPredicate{}, next)
	old := namedRoute("ns", "a")
	old.Generation = 1
	status := old.DeepCopy()
	status.Status.Parents = []gwapiv1.RouteParentStatus{{ParentRef: gwapiv1.ParentReference{Name: "eg"}}}
	spec := old.DeepCopy()
	spec.Generation = 2
	ctx := context.Background()
	h.Update(ctx, event.UpdateEvent{ObjectOld: old, ObjectNew: status}, nil)
	if got := changed.take(); passed != 0 || !got.Has(types.NamespacedName{Namespace: "ns", Name: "a"}) {
		t.Fatalf("status write: %d passed, recorded %v", passed, got.UnsortedList())
	}
	h.Update(ctx, event.UpdateEvent{ObjectOld: status, ObjectNew: spec}, nil)
	h.Create(ctx, event.CreateEvent{Object: namedRoute("ns", "b")}, nil)
	if got := changed.take(); passed != 2 || got.Len() != 2 {
		t.Fatalf("new generation and creation: %d passed, recorded %v", passed, got.UnsortedList())
	}
}
