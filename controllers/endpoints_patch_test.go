package controllers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

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
	c := fakeClientBuilder(t, discoveryv1.AddToScheme).Build()
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
	var events pendingKeys
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
			events.add(types.NamespacedName{Namespace: es.Namespace, Name: es.Labels[discoveryv1.LabelServiceName]})
		case rng.IntN(3) == 0:
			if err := c.Delete(ctx, es); err != nil {
				t.Fatal(err)
			}
			events.add(types.NamespacedName{Namespace: es.Namespace, Name: es.Labels[discoveryv1.LabelServiceName]})
		default:
			es.Endpoints = []discoveryv1.Endpoint{{Addresses: []string{fmt.Sprintf("10.0.1.%d", step%250+1)}}}
			if err := c.Update(ctx, es); err != nil {
				t.Fatal(err)
			}
			events.add(types.NamespacedName{Namespace: es.Namespace, Name: es.Labels[discoveryv1.LabelServiceName]})
		}
		prev := state.snap
		eps, patched, err := state.patchEndpoints(ctx, &sliceReader{r: c}, covered, events.take())
		if err != nil {
			t.Fatal(err)
		}
		if !patched {
			if eps, err = buildEndpoints(ctx, &sliceReader{r: c}, covered); err != nil {
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
		want, err := buildEndpoints(ctx, &sliceReader{r: c}, covered)
		if err != nil {
			t.Fatal(err)
		}
		if got := describeEndpoints(state.snap); !slices.Equal(got, describeEndpoints(want)) {
			t.Fatalf("step %d: the kept snapshot differs from a full build:\n got %v\nwant %v", step, got, describeEndpoints(want))
		}
		if patched && eps != nil {
			if err := gatewayapi.CheckDeltaFrom(prev, eps); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
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
