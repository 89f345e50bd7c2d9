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
	inf, err := informers.GetInformer(ctx, PT(new(T)))
	if err != nil {
		return nil, false, err
	}
	withStore, ok := inf.(interface{ GetStore() toolscache.Store })
	if !ok {
		return nil, false, nil
	}
	items := withStore.GetStore().List()
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

// storeGet returns the object of obj's kind named key from its informer's
// store (the cache's own object, read-only; found false when the store has
// none), when informers is set and the informer has a store; hasStore is
// false otherwise, for the caller to read a copy instead. The informers
// replace an object on an update and never modify one: an object read
// here stays as it is, and may be kept read-only.
func storeGet(
	ctx context.Context, informers cache.Informers, obj client.Object, key client.ObjectKey,
) (o client.Object, found, hasStore bool, err error) {
	if informers == nil {
		return nil, false, false, nil
	}
	inf, err := informers.GetInformer(ctx, obj)
	if err != nil {
		return nil, false, false, err
	}
	withStore, ok := inf.(interface{ GetStore() toolscache.Store })
	if !ok || withStore.GetStore() == nil {
		return nil, false, false, nil
	}
	item, exists, err := withStore.GetStore().GetByKey(key.String())
	if err != nil || !exists {
		return nil, false, true, err
	}
	o, ok = item.(client.Object)
	if !ok {
		return nil, false, false, nil
	}
	return o, true, true, nil
}
