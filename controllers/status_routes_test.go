package controllers

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/chunked"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/message"
)

func routeStatus(name string, parents []gwapiv1.RouteParentStatus) gatewayapi.RouteStatus {
	return gatewayapi.RouteStatus{ObjectKey: gatewayapi.ObjectKey{Namespace: "ns", Name: name}, Parents: parents}
}

func TestChangedRouteKeys(t *testing.T) {
	p := func() []gwapiv1.RouteParentStatus {
		return []gwapiv1.RouteParentStatus{{ControllerName: "example.com/gc"}}
	}
	a, b, c, d := p(), p(), p(), p()
	k := func(names ...string) []types.NamespacedName {
		out := make([]types.NamespacedName, 0, len(names))
		for _, n := range names {
			out = append(out, types.NamespacedName{Namespace: "ns", Name: n})
		}
		return out
	}
	tests := []struct {
		name      string
		prev, cur []gatewayapi.RouteStatus
		want      []types.NamespacedName
	}{
		{"same statuses", []gatewayapi.RouteStatus{routeStatus("a", a), routeStatus("b", b)},
			[]gatewayapi.RouteStatus{routeStatus("a", a), routeStatus("b", b)}, nil},
		{"equal parents in a new slice count as changed",
			[]gatewayapi.RouteStatus{routeStatus("a", a), routeStatus("b", b)},
			[]gatewayapi.RouteStatus{routeStatus("a", a), routeStatus("b", p())}, k("b")},
		{"one replaced in the middle",
			[]gatewayapi.RouteStatus{routeStatus("a", a), routeStatus("b", b), routeStatus("c", c)},
			[]gatewayapi.RouteStatus{routeStatus("a", a), routeStatus("b", d), routeStatus("c", c)}, k("b")},
		{"added and removed",
			[]gatewayapi.RouteStatus{routeStatus("a", a), routeStatus("b", b), routeStatus("d", d)},
			[]gatewayapi.RouteStatus{routeStatus("a", a), routeStatus("c", c), routeStatus("d", d)}, k("b", "c")},
		{"from none", nil, []gatewayapi.RouteStatus{routeStatus("a", a)}, k("a")},
		{"to none", []gatewayapi.RouteStatus{routeStatus("a", a), routeStatus("b", b)}, nil, k("a", "b")},
		{"a route's parents moved to another route",
			[]gatewayapi.RouteStatus{routeStatus("a", a), routeStatus("b", b)},
			[]gatewayapi.RouteStatus{routeStatus("a", b), routeStatus("b", a)}, k("a", "b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := changedRouteKeys(chunked.Of(tt.prev), chunked.Of(tt.cur)); !slices.Equal(got, tt.want) {
				t.Fatalf("changedRouteKeys = %v, want %v", got, tt.want)
			}
		})
	}
}

// getCounter records the routes a client reads one by one and counts its
// lists of HTTPRoutes.
type getCounter struct {
	client.Client
	gets  []string
	lists int
}

func (c *getCounter) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if _, ok := list.(*gwapiv1.HTTPRouteList); ok {
		c.lists++
	}
	return c.Client.List(ctx, list, opts...)
}

func (c *getCounter) Get(ctx context.Context, k client.ObjectKey, o client.Object, opts ...client.GetOption) error {
	c.gets = append(c.gets, k.Name)
	return c.Client.Get(ctx, k, o, opts...)
}

// TestChangedRouteKeysAcrossSharedChunks compares thousands of statuses
// with a list patched from them (sharing all but the edited chunks), an
// unrelated copy of which must give the same keys.
func TestChangedRouteKeysAcrossSharedChunks(t *testing.T) {
	statuses := make([]gatewayapi.RouteStatus, 0, 5000)
	for i := range 5000 {
		statuses = append(statuses, routeStatus(fmt.Sprintf("r%05d", i), []gwapiv1.RouteParentStatus{{ControllerName: "example.com/gc"}}))
	}
	prev := chunked.Of(statuses)
	cur := prev.Replace(1000, 1001, routeStatus("r01000", nil)).
		Replace(4000, 4000, routeStatus("r03999x", nil)). // before r04000
		Replace(3000, 3001)
	want := []types.NamespacedName{{Namespace: "ns", Name: "r01000"}, {Namespace: "ns", Name: "r03000"}, {Namespace: "ns", Name: "r03999x"}}
	if got := changedRouteKeys(prev, cur); !slices.Equal(got, want) {
		t.Fatalf("changedRouteKeys = %v, want %v", got, want)
	}
	if got := changedRouteKeys(prev, chunked.Of(cur.Slice())); !slices.Equal(got, want) {
		t.Fatalf("changedRouteKeys without shared chunks = %v, want %v", got, want)
	}
}

// TestStatusWriterLooksOnlyAtChangedRoutes checks the rounds after one that
// wrote every route status: they read only the routes whose status changed
// and those with events (as the informer handlers report them), write what
// a round reading every route would, and fall back to reading every route
// after a failed round.
func TestStatusWriterLooksOnlyAtChangedRoutes(t *testing.T) {
	cw := newChangedRoutesWorld(t, 4)
	p0, p1, p2 := cw.parents(1), cw.parents(1), cw.parents(1)
	if lists, _ := cw.round(routeStatus("r0", p0), routeStatus("r1", p1), routeStatus("r2", p2)); lists == 0 {
		t.Fatal("the first round did not read every route")
	}
	for _, n := range []string{"r0", "r1", "r2"} {
		cw.wantGen(n, 1)
	}

	// r1 changed; someone else cleared r2's status, with an event.
	r2 := cw.stored("r2")
	r2.Status.Parents = nil
	if err := cw.fc.Status().Update(cw.ctx, r2); err != nil {
		t.Fatal(err)
	}
	cw.w.events.keys[httpRouteKind.name].add(types.NamespacedName{Namespace: "ns", Name: "r2"})
	p1 = cw.parents(2)
	lists, read := cw.round(routeStatus("r0", p0), routeStatus("r1", p1), routeStatus("r2", p2))
	if lists != 0 || !slices.Equal(read, []string{"r1", "r2"}) {
		t.Fatalf("the round read %d lists and routes %v, want none and r1, r2", lists, read)
	}
	cw.wantGen("r1", 2)
	cw.wantGen("r2", 1)

	// r0 left our Gateways, r3 came.
	lists, read = cw.round(routeStatus("r1", p1), routeStatus("r2", p2), routeStatus("r3", cw.parents(1)))
	if lists != 0 || !slices.Equal(read, []string{"r0", "r3"}) {
		t.Fatalf("the round read %d lists and routes %v, want none and r0, r3", lists, read)
	}
	cw.wantGen("r0", 0)
	cw.wantGen("r3", 1)

	// A round that fails is followed by one that reads every route.
	cw.w.roundFailed = true
	cw.w.routesDone = nil
	if lists, _ := cw.round(routeStatus("r1", p1), routeStatus("r2", p2), routeStatus("r3", cw.parents(1))); lists == 0 {
		t.Fatal("a round after a failed one did not read every route")
	}
}

// changedRoutesWorld is a status writer with route events over a fake
// client holding HTTPRoutes ns/r0..r<n-1>, counting the client's reads.
type changedRoutesWorld struct {
	t       *testing.T
	ctx     context.Context
	fc      client.Client
	c       *getCounter
	results *message.Watchable[*gatewayapi.Result]
	w       *statusWriter
}

const changedRoutesController = "example.com/gc"

func newChangedRoutesWorld(t *testing.T, n int) *changedRoutesWorld {
	t.Helper()
	routes := make([]client.Object, 0, n)
	for i := range n {
		routes = append(routes, &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("r%d", i), Generation: 1}})
	}
	fc := fakeClientBuilder(t, gwapiv1.Install).WithObjects(routes...).WithStatusSubresource(&gwapiv1.HTTPRoute{}).Build()
	cw := &changedRoutesWorld{t: t, ctx: context.Background(), fc: fc, c: &getCounter{Client: fc},
		results: message.NewWatchable[*gatewayapi.Result]("results")}
	w, err := newStatusWriter(cw.c, cw.c, nil, Options{ControllerName: changedRoutesController, Results: cw.results, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	w.events = &routeEvents{keys: map[string]*pendingKeys{}}
	for _, kind := range routeKinds {
		w.events.keys[kind.name] = &pendingKeys{}
	}
	cw.w = w
	return cw
}

// parents is our parent entry, Accepted at generation gen.
func (cw *changedRoutesWorld) parents(gen int64) []gwapiv1.RouteParentStatus {
	return []gwapiv1.RouteParentStatus{{
		ParentRef:      gwapiv1.ParentReference{Name: "gw"},
		ControllerName: changedRoutesController,
		Conditions:     []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", ObservedGeneration: gen}},
	}}
}

// round runs a round for a result of statuses; it returns the lists it
// made and the routes it read one by one.
func (cw *changedRoutesWorld) round(statuses ...gatewayapi.RouteStatus) (lists int, read []string) {
	res := &gatewayapi.Result{Statuses: gatewayapi.Statuses{HTTPRoutes: chunked.Of(statuses)}}
	cw.results.Publish(res)
	lists, cw.c.gets = cw.c.lists, nil
	cw.w.write(cw.ctx, res)
	read = slices.Clone(cw.c.gets)
	slices.Sort(read)
	return cw.c.lists - lists, slices.Compact(read)
}

// stored is route ns/name as stored.
func (cw *changedRoutesWorld) stored(name string) *gwapiv1.HTTPRoute {
	r := &gwapiv1.HTTPRoute{}
	if err := cw.fc.Get(cw.ctx, types.NamespacedName{Namespace: "ns", Name: name}, r); err != nil {
		cw.t.Fatal(err)
	}
	return r
}

// wantGen fails unless route name has one parent at generation gen, or
// none when gen is 0.
func (cw *changedRoutesWorld) wantGen(name string, gen int64) {
	cw.t.Helper()
	got := cw.stored(name).Status.Parents
	if gen == 0 {
		if len(got) != 0 {
			cw.t.Fatalf("%s has parents %v, want none", name, got)
		}
		return
	}
	if len(got) != 1 || got[0].Conditions[0].ObservedGeneration != gen {
		cw.t.Fatalf("%s has parents %v, want one at generation %d", name, got, gen)
	}
}
