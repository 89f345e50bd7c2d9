package controllers

import (
	"context"
	"slices"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestSliceServiceKey(t *testing.T) {
	cases := []struct {
		name   string
		labels map[string]string
		want   []string
	}{
		{"a Service's slice", map[string]string{discoveryv1.LabelServiceName: "web", "other": "x"}, []string{"ns/web"}},
		{"no service-name label", map[string]string{"other": "x"}, nil},
		{"no labels", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns", Labels: tc.labels}}
			got, err := sliceServiceKey(es)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("sliceServiceKey = %q, %v, want %q", got, err, tc.want)
			}
		})
	}
	if _, err := sliceServiceKey("not an object"); err == nil {
		t.Error("sliceServiceKey of a string: no error")
	}
}

// indexedInformers are informers whose EndpointSlice informer's store is
// an indexer: GetInformer is the only method the sliceReader calls.
type indexedInformers struct {
	cache.Informers
	indexer toolscache.Indexer
}

func (i indexedInformers) GetInformer(context.Context, client.Object, ...cache.InformerGetOption) (cache.Informer, error) {
	return indexedInformer{indexer: i.indexer}, nil
}

type indexedInformer struct {
	cache.Informer
	indexer toolscache.Indexer
}

func (i indexedInformer) GetStore() toolscache.Store { return i.indexer }

// TestSliceReaderReadsTheIndexedStore checks that a Service's slices come
// from the informer's index as the store's own objects, by name, and that
// the List a reader without informers makes gives the same slices.
func TestSliceReaderReadsTheIndexedStore(t *testing.T) {
	ctx := context.Background()
	slice := func(ns, name, svc string) *discoveryv1.EndpointSlice {
		es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		if svc != "" {
			es.Labels = map[string]string{discoveryv1.LabelServiceName: svc}
		}
		return es
	}
	objs := []*discoveryv1.EndpointSlice{
		slice("a", "web-2", "web"), slice("a", "web-1", "web"), slice("b", "web-1", "web"),
		slice("a", "api-1", "api"), slice("a", "loose", ""),
	}
	indexer := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc,
		toolscache.Indexers{serviceSlicesIndex: sliceServiceKey})
	fake := fakeClientBuilder(t, discoveryv1.AddToScheme)
	for _, o := range objs {
		if err := indexer.Add(o); err != nil {
			t.Fatal(err)
		}
		fake.WithObjects(o.DeepCopy())
	}
	indexed := &sliceReader{informers: indexedInformers{indexer: indexer}}
	listed := &sliceReader{r: fake.Build()}
	cases := []struct {
		svc  types.NamespacedName
		want []*discoveryv1.EndpointSlice
	}{
		{types.NamespacedName{Namespace: "a", Name: "web"}, []*discoveryv1.EndpointSlice{objs[1], objs[0]}},
		{types.NamespacedName{Namespace: "b", Name: "web"}, []*discoveryv1.EndpointSlice{objs[2]}},
		{types.NamespacedName{Namespace: "a", Name: "api"}, []*discoveryv1.EndpointSlice{objs[3]}},
		{types.NamespacedName{Namespace: "a", Name: "none"}, nil},
	}
	for _, tc := range cases {
		got, err := indexed.list(ctx, tc.svc)
		if err != nil {
			t.Fatalf("%s: %v", tc.svc, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: indexed slices %v, want the store's %v", tc.svc, sliceNames(got), sliceNames(tc.want))
		}
		fromList, err := listed.list(ctx, tc.svc)
		if err != nil {
			t.Fatalf("%s: %v", tc.svc, err)
		}
		if !slices.Equal(sliceNames(fromList), sliceNames(tc.want)) {
			t.Errorf("%s: listed slices %v, want %v", tc.svc, sliceNames(fromList), sliceNames(tc.want))
		}
	}
}

func sliceNames(list []*discoveryv1.EndpointSlice) []string {
	out := make([]string, 0, len(list))
	for _, es := range list {
		out = append(out, es.Namespace+"/"+es.Name)
	}
	return out
}
