package controllers

import (
	"context"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// listShared returns every object of one kind (list, whose items are
// items) as read-only pointers, without copying an object: from the
// informer's store when informers is set and its informer has one (the
// cache's own objects), otherwise from a List without deep copies (shallow
// copies in the list's items). A List copies every object's struct into
// the list: at 10,000 routes, megabytes per snapshot and per status round.
// The objects are shared with the cache: the caller must neither modify
// them nor keep them beyond its work (see stableObjects).
func listShared[T any, PT interface {
	*T
	client.Object
}](ctx context.Context, r client.Reader, informers cache.Informers, list client.ObjectList, items *[]T) ([]PT, error) {
	if informers != nil {
		if objs, ok, err := storeObjects[T, PT](ctx, informers); err != nil || ok {
			return objs, err
		}
	}
	if err := r.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	out := make([]PT, len(*items))
	for i := range *items {
		out[i] = &(*items)[i]
	}
	return out, nil
}

// storeObjects returns the objects of the informer of T's kind; ok is
// false when the informer has no store of such objects (a namespaced
// cache's informer), for the caller to List instead.
func storeObjects[T any, PT interface {
	*T
	client.Object
}](ctx context.Context, informers cache.Informers) (objs []PT, ok bool, err error) {
	store, err := storeOf(ctx, informers, PT(new(T)))
	if err != nil || store == nil {
		return nil, false, err
	}
	items := store.List()
	objs = make([]PT, 0, len(items))
	for _, item := range items {
		o, isT := item.(PT)
		if !isT {
			return nil, false, nil
		}
		objs = append(objs, o)
	}
	return objs, true, nil
}

// storeOf returns the store of the informer of obj's kind: the cache's
// own objects, which the informers replace on an update and never modify
// (an object read from it stays as it is, and may be kept read-only). It is
// nil when informers is nil or the informer has no store (a namespaced
// cache's), for the caller to read copies instead.
func storeOf(ctx context.Context, informers cache.Informers, obj client.Object) (toolscache.Store, error) {
	if informers == nil {
		return nil, nil
	}
	inf, err := informers.GetInformer(ctx, obj)
	if err != nil {
		return nil, err
	}
	withStore, ok := inf.(interface{ GetStore() toolscache.Store })
	if !ok {
		return nil, nil
	}
	return withStore.GetStore(), nil
}

// storeGet returns the object named key from store (found false when it
// has none): see storeOf.
func storeGet(store toolscache.Store, key client.ObjectKey) (client.Object, bool, error) {
	item, exists, err := store.GetByKey(key.String())
	if err != nil || !exists {
		return nil, false, err
	}
	o, ok := item.(client.Object)
	return o, ok, nil
}
