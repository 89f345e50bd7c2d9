package gatewayapi

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// changedServices are the Services whose entries differ between two
// snapshots: covered by one only, or with other slice objects.
func changedServices(a, b *Endpoints) []ObjectKey {
	entries := func(e *Endpoints) map[ObjectKey][]*discoveryv1.EndpointSlice {
		out := map[ObjectKey][]*discoveryv1.EndpointSlice{}
		for _, s := range e.Services {
			out[s.ObjectKey] = s.EndpointSlices
		}
		return out
	}
	ea, eb := entries(a), entries(b)
	var out []ObjectKey
	for k, sa := range ea {
		if sb, ok := eb[k]; !ok || !slices.Equal(sa, sb) {
			out = append(out, k)
		}
	}
	for k := range eb {
		if _, ok := ea[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// TestEndpointsTranslatorEqualsTranslateEndpoints applies random changes
// to a set of slices (objects replaced as a provider replaces them, some
// carrying resourceVersions as informer copies do, some not) and checks,
// after each, that the memoizing translator's result equals
// TranslateEndpoints', and that the Services whose slices did not change
// keep their IR (the same pointer).
func TestEndpointsTranslatorEqualsTranslateEndpoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 5))
	const services = 12
	keys := make([]ObjectKey, services)
	for i := range keys {
		keys[i] = ObjectKey{Namespace: "ns-" + strconv.Itoa(i%3), Name: "svc-" + strconv.Itoa(i)}
	}
	world := map[string]*discoveryv1.EndpointSlice{}
	rv := 0
	put := func(es *discoveryv1.EndpointSlice, versioned bool) {
		if versioned {
			rv++
			es.ResourceVersion = strconv.Itoa(rv)
			es.UID = types.UID("uid-" + es.Namespace + "-" + es.Name)
		}
		world[es.Namespace+"/"+es.Name] = es
	}
	randomSlice := func() *discoveryv1.EndpointSlice {
		k := keys[rng.IntN(services)]
		addrs := make([]string, rng.IntN(4))
		for i := range addrs {
			addrs[i] = fmt.Sprintf("10.0.%d.%d", rng.IntN(3), rng.IntN(5))
		}
		es := slice(k.Namespace, k.Name, fmt.Sprintf("%s-%d", k.Name, rng.IntN(2)), addrs...)
		if rng.IntN(4) == 0 {
			ready := false
			for i := range es.Endpoints {
				es.Endpoints[i].Conditions.Ready = &ready
			}
		}
		return es
	}
	tr := NewEndpointsTranslator()
	prev := tr.Translate(nil)
	var prevSnap *Endpoints
	for step := range 300 {
		var changed ObjectKey
		switch op := rng.IntN(10); {
		case op < 6:
			es := randomSlice()
			put(es, rng.IntN(2) == 0)
			changed = ObjectKey{Namespace: es.Namespace, Name: es.Labels[discoveryv1.LabelServiceName]}
		case op < 8 && len(world) > 0:
			name := pick(rng, world)
			es := world[name]
			delete(world, name)
			changed = ObjectKey{Namespace: es.Namespace, Name: es.Labels[discoveryv1.LabelServiceName]}
		case len(world) > 0:
			// An informer copy of an unchanged slice: a new object with
			// the same resourceVersion.
			if name := pick(rng, world); world[name].ResourceVersion != "" {
				world[name] = world[name].DeepCopy()
			}
		}
		list := make([]*discoveryv1.EndpointSlice, 0, len(world))
		for _, name := range slices.Sorted(maps.Keys(world)) {
			list = append(list, world[name])
		}
		// Now and then the snapshot leaves out some Services (no route
		// refers to them any more), which come back later.
		known := keys
		if rng.IntN(5) == 0 {
			known = slices.DeleteFunc(slices.Clone(keys), func(ObjectKey) bool { return rng.IntN(3) == 0 })
		}
		snap := NewEndpoints(known, list)
		// Most snapshots say what changed since the previous one, as the
		// providers' do; the others make the translator look at everything.
		snap.ID = uint64(step + 1)
		if prevSnap != nil && rng.IntN(3) != 0 {
			snap.Delta = &EndpointsDelta{From: prevSnap.ID, Changed: changedServices(prevSnap, snap)}
		}
		got := tr.Translate(snap)
		if diff := cmp.Diff(TranslateEndpoints(snap).Services, got.Services); diff != "" {
			t.Fatalf("step %d: memoized translation differs (-want +got):\n%s", step, diff)
		}
		if diff := cmp.Diff(TranslateEndpoints(prevSnap).Services, prev.Services); diff != "" {
			t.Fatalf("step %d: the previous result changed (-want +got):\n%s", step, diff)
		}
		assertDeltaHolds(t, step, prev, got)
		for _, k := range known {
			key := k.Namespace + "/" + k.Name
			if k != changed && got.Services[key] != prev.Services[key] && prev.Services[key] != nil {
				t.Fatalf("step %d: Service %s did not change but its IR was computed again", step, key)
			}
		}
		prev, prevSnap = got, snap
	}
}

// pick returns one of m's keys, chosen by rng (in key order, so a seed
// always gives the same sequence).
func pick(rng *rand.Rand, m map[string]*discoveryv1.EndpointSlice) string {
	names := slices.Sorted(maps.Keys(m))
	return names[rng.IntN(len(names))]
}

// TestEndpointsTranslatorForgets checks that a Service left out of a
// snapshot is computed again when it comes back with other slices.
func TestEndpointsTranslatorForgets(t *testing.T) {
	tr := NewEndpointsTranslator()
	k := ObjectKey{Namespace: "ns", Name: "svc"}
	a := slice("ns", "svc", "svc-a", "10.0.0.1")
	first := tr.Translate(NewEndpoints([]ObjectKey{k}, []*discoveryv1.EndpointSlice{a}))
	if got := tr.Translate(NewEndpoints(nil, nil)); len(got.Services) != 0 {
		t.Fatalf("empty snapshot: %d Services, want 0", len(got.Services))
	}
	b := slice("ns", "svc", "svc-a", "10.0.0.2")
	again := tr.Translate(NewEndpoints([]ObjectKey{k}, []*discoveryv1.EndpointSlice{b}))
	if again.Services["ns/svc"] == first.Services["ns/svc"] {
		t.Fatal("a Service whose slices changed kept its previous IR")
	}
	if diff := cmp.Diff(TranslateEndpoints(NewEndpoints([]ObjectKey{k}, []*discoveryv1.EndpointSlice{b})).Services, again.Services); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// assertDeltaHolds checks that got, the result following prev, says so
// (its delta is from prev's ID) and that every key its delta does not list
// has prev's entry: the same pointer, or absent from both.
func assertDeltaHolds(t *testing.T, step int, prev, got *ir.Endpoints) {
	t.Helper()
	if prev == nil || prev.ID == 0 { // not a result of the translator
		return
	}
	changed, ok := got.ChangedSince(prev.ID)
	if !ok || got.ID == prev.ID {
		t.Fatalf("step %d: result %d has no delta from the previous one, %d (%+v)", step, got.ID, prev.ID, got.Delta)
	}
	for _, k := range slices.Concat(slices.Collect(maps.Keys(prev.Services)), slices.Collect(maps.Keys(got.Services))) {
		if slices.Contains(changed, k) {
			continue
		}
		before, had := prev.Services[k]
		after, has := got.Services[k]
		if had != has || before != after {
			t.Fatalf("step %d: Service %s changed but the delta %v does not list it", step, k, changed)
		}
	}
}
