package controllers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestKeptServicesGetWhatTheCacheHolds applies random Service creations,
// updates and deletions (each recorded, as the event predicate does) and
// random changes of the keys asked for, and checks after each step that
// keptServices.get returns what getting every key gives.
func TestKeptServicesGetWhatTheCacheHolds(t *testing.T) {
	ctx := context.Background()
	c := fakeClientBuilder(t, corev1.AddToScheme).Build()
	rng := rand.New(rand.NewPCG(9, 3))
	key := func(i int) types.NamespacedName {
		return types.NamespacedName{Namespace: fmt.Sprintf("ns-%d", i%3), Name: fmt.Sprintf("svc-%d", i)}
	}
	const services = 30
	keys := sets.New[types.NamespacedName]()
	for i := range services {
		if i%5 != 0 {
			keys.Insert(key(i))
		}
	}
	var k keptServices
	for step := range 300 {
		i := rng.IntN(services)
		svc := &corev1.Service{}
		err := c.Get(ctx, key(i), svc)
		switch {
		case rng.IntN(8) == 0:
			keys = keys.Clone()
			if j := key(rng.IntN(services)); keys.Has(j) {
				keys.Delete(j)
			} else {
				keys.Insert(j)
			}
		case err != nil:
			svc = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: key(i).Namespace, Name: key(i).Name},
				Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: int32(step + 1)}}}}
			if err := c.Create(ctx, svc); err != nil {
				t.Fatal(err)
			}
			k.changed.add(key(i))
		case rng.IntN(3) == 0:
			if err := c.Delete(ctx, svc); err != nil {
				t.Fatal(err)
			}
			k.changed.add(key(i))
		default:
			svc.Spec.Ports = []corev1.ServicePort{{Port: int32(step + 1)}}
			if err := c.Update(ctx, svc); err != nil {
				t.Fatal(err)
			}
			k.changed.add(key(i))
		}
		got, err := k.get(ctx, c, nil, keys)
		if err != nil {
			t.Fatal(err)
		}
		want, err := getAll(ctx, c, keys, func() *corev1.Service { return &corev1.Service{} })
		if err != nil {
			t.Fatal(err)
		}
		describe := func(list []*corev1.Service) []string {
			out := make([]string, len(list))
			for j, s := range list {
				out[j] = s.Namespace + "/" + s.Name + "@" + s.ResourceVersion
			}
			return out
		}
		if !slices.Equal(describe(got), describe(want)) {
			t.Fatalf("step %d: got %v, want %v", step, describe(got), describe(want))
		}
	}
}

// TestKeptServicesReadOnlyWhatChanged checks which Services get reads from
// the cache: all the first time, none when nothing happened, the one that
// had an event, the one newly asked for and a missing one, the missing one
// again when another had an event, none when nothing happened, and the
// missing one once created (its event).
func TestKeptServicesReadOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	c := fakeClientBuilder(t, corev1.AddToScheme).Build()
	keys := sets.New[types.NamespacedName]()
	for i := range 10 {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("svc-%d", i)}}
		if err := c.Create(ctx, svc); err != nil {
			t.Fatal(err)
		}
		keys.Insert(client.ObjectKeyFromObject(svc))
	}
	missing := types.NamespacedName{Namespace: "ns", Name: "missing"}
	r := &countingReader{Reader: c}
	var k keptServices
	steps := []struct {
		name     string
		do       func()
		reads    int
		services int
	}{
		{"first build", func() {}, 10, 10},
		{"nothing happened", func() {}, 0, 10},
		{"an event", func() { k.changed.add(types.NamespacedName{Namespace: "ns", Name: "svc-3"}) }, 1, 10},
		{"a missing key more", func() {
			keys = keys.Clone()
			keys.Insert(types.NamespacedName{Namespace: "ns", Name: "svc-0"}, missing)
		}, 1, 10},
		{"another event: the missing one again", func() {
			k.changed.add(types.NamespacedName{Namespace: "ns", Name: "svc-4"})
		}, 2, 10},
		{"nothing happened again", func() {}, 0, 10},
		{"the missing one created", func() {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: missing.Namespace, Name: missing.Name}}
			if err := c.Create(ctx, svc); err != nil {
				t.Fatal(err)
			}
			k.changed.add(missing)
		}, 1, 11},
	}
	var last []*corev1.Service
	for _, s := range steps {
		s.do()
		r.gets = 0
		got, err := k.get(ctx, r, nil, keys)
		if err != nil {
			t.Fatal(err)
		}
		if r.gets != s.reads || len(got) != s.services {
			t.Errorf("%s: %d reads from the cache and %d Services, want %d and %d",
				s.name, r.gets, len(got), s.reads, s.services)
		}
		// Each build has its own list: the snapshot build reorders it.
		if len(got) > 0 && len(last) > 0 && &got[0] == &last[0] {
			t.Errorf("%s: the list of the last build given again", s.name)
		}
		last = got
	}
}

// countingReader counts the Gets it passes on.
type countingReader struct {
	client.Reader
	gets int
}

func (r *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	r.gets++
	return r.Reader.Get(ctx, key, obj, opts...)
}

// TestKeptServicesAreTheStoresObjects checks that with an informer store
// the kept Services are the store's own objects (no copy next to the
// cache's), that a Service missing from the store is left out, and that an
// updated one is the store's new object.
func TestKeptServicesAreTheStoresObjects(t *testing.T) {
	ctx := context.Background()
	store := toolscache.NewSharedIndexInformer(&toolscache.ListWatch{}, &corev1.Service{}, 0, toolscache.Indexers{})
	informers := &informertest.FakeInformers{InformersByGVK: map[schema.GroupVersionKind]toolscache.SharedIndexInformer{
		corev1.SchemeGroupVersion.WithKind("Service"): store,
	}}
	svc := func(name, rv string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, ResourceVersion: rv}}
	}
	a, b := svc("a", "1"), svc("b", "1")
	for _, s := range []*corev1.Service{a, b} {
		if err := store.GetStore().Add(s); err != nil {
			t.Fatal(err)
		}
	}
	// The client has no Service: what get gives comes from the store.
	c := fakeClientBuilder(t, corev1.AddToScheme).Build()
	keys := sets.New(types.NamespacedName{Namespace: "ns", Name: "a"}, types.NamespacedName{Namespace: "ns", Name: "b"},
		types.NamespacedName{Namespace: "ns", Name: "missing"})
	var k keptServices
	got, err := k.get(ctx, c, informers, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("got %v, want the store's a and b", got)
	}
	b2 := svc("b", "2")
	if err := store.GetStore().Update(b2); err != nil {
		t.Fatal(err)
	}
	k.changed.add(types.NamespacedName{Namespace: "ns", Name: "b"})
	if got, err = k.get(ctx, c, informers, keys); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != a || got[1] != b2 {
		t.Fatalf("after b's update got %v, want the store's a and new b", got)
	}
}
