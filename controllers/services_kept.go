package controllers

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/envoygw/envoy-gateway/internal/identity"
)

// keptServices keeps the Services the last snapshot referred to, so that
// a build gets from the cache only the Services that had an event since, or
// that the last build did not refer to: a route change at 10,000 routes no
// longer copies 20,000 Services. A Service is the informer store's own
// object when the cache has a store (kept read-only, see storeOf: no copy
// of 20,000 Services next to the cache's), a copy otherwise.
//
// Every Service event is recorded, referred to or not (see recorder): an
// event the reference gate turns away during a build may concern a Service
// that build refers to (see refGate). The recorded keys are taken by the
// worker before it reads; a failed build puts them back. Services that did
// not exist are not kept: they are asked for again on every build that
// reads any (a Service created since has an event, which makes its build
// read). A build of the same keys after no event reads nothing.
type keptServices struct {
	changed pendingKeys

	// kept are the Services of the last build and keys its keys, in
	// sorted order (only the worker uses them).
	kept map[types.NamespacedName]*corev1.Service
	keys sets.Set[types.NamespacedName]
	// sorted are keys in sortedKeys order.
	sorted []types.NamespacedName
	// last is what the last build got, which only get reads.
	last []*corev1.Service
}

// recorder is a predicate that records the key of every Service event and
// lets every event through (the next predicate decides).
func (k *keptServices) recorder() predicate.Predicate {
	record := func(o client.Object) bool {
		if o != nil {
			k.changed.add(types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()})
		}
		return true
	}
	return predicate.Funcs{
		CreateFunc:  func(e event.CreateEvent) bool { return record(e.Object) },
		UpdateFunc:  func(e event.UpdateEvent) bool { return record(e.ObjectNew) },
		DeleteFunc:  func(e event.DeleteEvent) bool { return record(e.Object) },
		GenericFunc: func(e event.GenericEvent) bool { return record(e.Object) },
	}
}

// get returns the Services of keys that exist, in sorted key order: the
// kept ones that had no event since they were read, the others read from r.
func (k *keptServices) get(
	ctx context.Context, r client.Reader, informers cache.Informers, keys sets.Set[types.NamespacedName],
) ([]*corev1.Service, error) {
	changed := k.changed.take()
	sorted, same := k.sorted, sameKeySet(k.keys, keys)
	if same && len(changed) == 0 && k.last != nil {
		// Nothing happened to the Services of the same keys: the last
		// list, copied (the snapshot build reorders the list it is given
		// in place, and the last one belongs to the last snapshot).
		return slices.Clone(k.last), nil
	}
	store, err := storeOf(ctx, informers, &corev1.Service{})
	if err != nil {
		k.changed.putBack(changed)
		return nil, err
	}
	if !same {
		sorted = sortedKeys(keys)
	}
	next := k.kept
	if !same || next == nil {
		next = make(map[types.NamespacedName]*corev1.Service, len(sorted))
	}
	out := make([]*corev1.Service, 0, len(sorted))
	for _, key := range sorted {
		if svc, ok := k.kept[key]; ok && !changed.Has(key) {
			next[key] = svc
			out = append(out, svc)
			continue
		}
		svc, err := readService(ctx, r, store, key)
		if err != nil {
			k.changed.putBack(changed)
			// next may be k.kept, partly updated: what it holds is
			// current, and the keys put back are read again.
			return nil, err
		}
		if svc == nil {
			delete(next, key)
			continue
		}
		next[key] = svc
		out = append(out, svc)
	}
	k.kept, k.keys, k.sorted, k.last = next, keys, sorted, out
	return slices.Clone(out), nil
}

// readService returns the Service key from store (see storeOf) or,
// without a store, a copy from r; nil when there is none.
func readService(
	ctx context.Context, r client.Reader, store toolscache.Store, key types.NamespacedName,
) (*corev1.Service, error) {
	if store != nil {
		o, found, err := storeGet(store, key)
		if err != nil || !found {
			return nil, err
		}
		svc, _ := o.(*corev1.Service)
		return svc, nil
	}
	svc := &corev1.Service{}
	if err := r.Get(ctx, key, svc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return svc, nil
}

// sameKeySet reports whether a and b hold the same keys.
// The route memo hands out the same set while the keys stay the same: then
// no key is looked up.
func sameKeySet(a, b sets.Set[types.NamespacedName]) bool {
	if a == nil || len(a) != len(b) {
		return false
	}
	if identity.Map(a, b) {
		return true
	}
	for key := range b {
		if !a.Has(key) {
			return false
		}
	}
	return true
}
