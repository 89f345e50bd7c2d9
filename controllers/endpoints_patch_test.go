package controllers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// TestPatchedEndpointsEqualBuiltEndpoints applies random EndpointSlice
// creations, updates and deletions and random changes of the Services
// covered to a fake API, recording the slices' Services as the event
// handler does, and checks after each step that the snapshot the worker
// keeps (patched when it can be) holds what a full build gives, and that
// each patch's delta lists every Service whose entry changed.
func TestPatchedEndpointsEqualBuiltEndpoints(t *testing.T) {
	ctx := context.Background()
	scheme := runtime.NewScheme()
	if err := discoveryv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).
		WithIndex(&discoveryv1.EndpointSlice{}, endpointSliceServiceIndex, endpointSliceService).Build()
	rng := rand.New(rand.NewPCG(4, 2))
	svc := func(i int) types.NamespacedName {
		return types.NamespacedName{Namespace: fmt.Sprintf("ns-%d", i%2), Name: fmt.Sprintf("svc-%d", i)}
	}
	const services = 40
	covered := sets.New[types.NamespacedName]()
	for i := range services {
		if i%4 != 3 {
			covered.Insert(svc(i))
		}
	}
	var state endpointsState
	var events changedServices
	patches := 0
	for step := range 300 {
		k := svc(rng.IntN(services))
		name := fmt.Sprintf("%s-%d", k.Name, rng.IntN(2))
		es := &discoveryv1.EndpointSlice{}
		err := c.Get(ctx, types.NamespacedName{Namespace: k.Namespace, Name: name}, es)
		switch {
		case rng.IntN(10) == 0: // the covered Services change
			covered = covered.Clone()
			if j := svc(rng.IntN(services)); covered.Has(j) {
				covered.Delete(j)
			} else {
				covered.Insert(j)
			}
		case err != nil: // a new slice
			es = &discoveryv1.EndpointSlice{
				ObjectMeta:  metav1.ObjectMeta{Namespace: k.Namespace, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: k.Name}},
				AddressType: discoveryv1.AddressTypeIPv4,
				Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{fmt.Sprintf("10.0.0.%d", step%250+1)}}},
			}
			if err := c.Create(ctx, es); err != nil {
				t.Fatal(err)
			}
			events.add(es)
		case rng.IntN(3) == 0:
			if err := c.Delete(ctx, es); err != nil {
				t.Fatal(err)
			}
			events.add(es)
		default:
			es.Endpoints = []discoveryv1.Endpoint{{Addresses: []string{fmt.Sprintf("10.0.1.%d", step%250+1)}}}
			if err := c.Update(ctx, es); err != nil {
				t.Fatal(err)
			}
			events.add(es)
		}
		prev := state.snap
		eps, patched, err := state.patchEndpoints(ctx, c, covered, events.take())
		if err != nil {
			t.Fatal(err)
		}
		if !patched {
			if eps, err = buildEndpoints(ctx, c, covered); err != nil {
				t.Fatal(err)
			}
			state.ids++
			eps.ID = state.ids
		} else {
			patches++
		}
		if eps != nil {
			state.snap = eps
		}
		state.services = covered
		want, err := buildEndpoints(ctx, c, covered)
		if err != nil {
			t.Fatal(err)
		}
		if got := describeEndpoints(state.snap); !slices.Equal(got, describeEndpoints(want)) {
			t.Fatalf("step %d: the kept snapshot differs from a full build:\n got %v\nwant %v", step, got, describeEndpoints(want))
		}
		if patched && eps != nil {
			assertDeltaFrom(t, step, prev, eps)
		}
	}
	if patches < 100 {
		t.Errorf("only %d of 300 snapshots were patches", patches)
	}
}

// describeEndpoints is a snapshot as "<namespace>/<name>: <slice>@<rv>...".
func describeEndpoints(e *gatewayapi.Endpoints) []string {
	out := make([]string, 0, len(e.Services))
	for _, s := range e.Services {
		line := s.Namespace + "/" + s.Name + ":"
		for _, es := range s.EndpointSlices {
			line += " " + es.Name + "@" + es.ResourceVersion
		}
		out = append(out, line)
	}
	return out
}

// assertDeltaFrom checks that eps's delta is from prev and lists every
// Service whose entry differs between them.
func assertDeltaFrom(t *testing.T, step int, prev, eps *gatewayapi.Endpoints) {
	t.Helper()
	if eps.Delta == nil || eps.Delta.From != prev.ID || eps.ID == prev.ID {
		t.Fatalf("step %d: patch %d has delta %+v, not one from %d", step, eps.ID, eps.Delta, prev.ID)
	}
	entries := func(e *gatewayapi.Endpoints) map[gatewayapi.ObjectKey][]*discoveryv1.EndpointSlice {
		out := map[gatewayapi.ObjectKey][]*discoveryv1.EndpointSlice{}
		for _, s := range e.Services {
			out[s.ObjectKey] = s.EndpointSlices
		}
		return out
	}
	before, after := entries(prev), entries(eps)
	for k := range sets.KeySet(before).Union(sets.KeySet(after)) {
		b, had := before[k]
		a, has := after[k]
		if (had != has || !slices.Equal(a, b)) && !slices.Contains(eps.Delta.Changed, k) {
			t.Fatalf("step %d: Service %v changed but the delta %v does not list it", step, k, eps.Delta.Changed)
		}
	}
}
