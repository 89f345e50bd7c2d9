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
