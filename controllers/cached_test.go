package controllers

import (
	"context"
	"errors"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// storeInformers is a cache.Informers whose informer is inf, or err.
type storeInformers struct {
	cache.Informers
	inf cache.Informer
	err error
}

func (s storeInformers) GetInformer(context.Context, client.Object, ...cache.InformerGetOption) (cache.Informer, error) {
	return s.inf, s.err
}

// informerWithStore is an informer holding store.
type informerWithStore struct {
	cache.Informer
	store toolscache.Store
}

func (i informerWithStore) GetStore() toolscache.Store { return i.store }

func namedRoute(ns, name string) *gwapiv1.HTTPRoute {
	return &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func routeNames(objs []*gwapiv1.HTTPRoute) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.Namespace+"/"+o.Name)
	}
	slices.Sort(out)
	return out
}

// TestListSharedReadsTheStore: with an informer that has a store, the
// routes are the store's own objects; without one, they come from a List;
// an informer error is returned.
func TestListSharedReadsTheStore(t *testing.T) {
	ctx := context.Background()
	a, b := namedRoute("ns", "a"), namedRoute("ns", "b")
	store := toolscache.NewStore(toolscache.MetaNamespaceKeyFunc)
	for _, o := range []*gwapiv1.HTTPRoute{a, b} {
		if err := store.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	listed := fakeClientBuilder(t, gwapiv1.Install).WithObjects(namedRoute("other", "c")).Build()
	list := func(informers cache.Informers) ([]*gwapiv1.HTTPRoute, error) {
		var l gwapiv1.HTTPRouteList
		return listShared[gwapiv1.HTTPRoute](ctx, listed, informers, &l, &l.Items)
	}

	got, err := list(storeInformers{inf: informerWithStore{store: store}})
	if err != nil || len(got) != 2 {
		t.Fatalf("from the store: %v, %v", routeNames(got), err)
	}
	for _, o := range got {
		if o != a && o != b {
			t.Errorf("route %s/%s is not the store's object", o.Namespace, o.Name)
		}
	}
	for _, informers := range []cache.Informers{nil, storeInformers{inf: informerWithoutStore{}}} {
		got, err = list(informers)
		if err != nil || !slices.Equal(routeNames(got), []string{"other/c"}) {
			t.Errorf("without a store (%T): %v, %v; want the listed route", informers, routeNames(got), err)
		}
	}
	if _, err := list(storeInformers{err: errors.New("no informer")}); err == nil {
		t.Error("an informer error is not returned")
	}
}

// informerWithoutStore is an informer without GetStore (a namespaced
// cache's).
type informerWithoutStore struct{ cache.Informer }
