package controllers

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"sync"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/intern"
)

// cacheTransform is the provider's cache transform: trimCached, then, for
// the route kinds, keepSpec, and the shared copies of the values that
// repeat across objects (see package intern) for what is newly decoded:
// the whole object, or a route's status when its spec and metadata are
// the stored ones.
//
// The status writer writes the status of every route after the first
// result, and of each route whose status changes after that; the API
// server sends each written route back whole, and the informer decodes a
// new object of it. Its spec is the spec the store holds (the same
// generation: a custom resource's generation changes with its spec, never
// with its status), so the new object takes the stored one's spec instead
// of the one just decoded, which is dropped at once. Without it, a round
// of 10,000 routes put 10,000 new specs (about 1 KiB of small allocations
// each) among the garbage of the round, in memory pages the runtime then
// cannot return, and the old specs, still held by the resource translator
// until the next snapshot, stayed beside them.
type cacheTransform struct {
	mu sync.RWMutex
	// stores are the informer stores of the route kinds, by Go type, set
	// once their informers exist (before the cache starts, see
	// keepStoredSpecs): until then objects keep their own specs.
	stores map[reflect.Type]keyGetter
	// values are the values the cached objects share. Every object is
	// decoded from the API server's JSON or protobuf with its own copies,
	// a few dozen small allocations a route; a status write of every route
	// (the status writer's first round) decodes 10,000 statuses among the
	// round's garbage, where they leave memory pages mostly empty that the
	// runtime cannot return. Shared, they are garbage too, and the pages go.
	values intern.Table
}

// keyGetter is the part of an informer store keepSpec reads.
type keyGetter interface {
	GetByKey(key string) (item any, exists bool, err error)
}

func (t *cacheTransform) transform(in any) (any, error) {
	in, err := trimCached(in)
	if err != nil {
		return in, err
	}
	switch o := in.(type) {
	case *gwapiv1.HTTPRoute:
		keepRoute(t, o, func(r *gwapiv1.HTTPRoute) *gwapiv1.HTTPRouteSpec { return &r.Spec }, &o.Status.RouteStatus)
	case *gwapiv1.GRPCRoute:
		keepRoute(t, o, func(r *gwapiv1.GRPCRoute) *gwapiv1.GRPCRouteSpec { return &r.Spec }, &o.Status.RouteStatus)
	case *gwapiv1.TLSRoute:
		keepRoute(t, o, func(r *gwapiv1.TLSRoute) *gwapiv1.TLSRouteSpec { return &r.Spec }, &o.Status.RouteStatus)
	case *gwapiv1.TCPRoute:
		keepRoute(t, o, func(r *gwapiv1.TCPRoute) *gwapiv1.TCPRouteSpec { return &r.Spec }, &o.Status.RouteStatus)
	default:
		t.values.Object(in)
	}
	return in, nil
}

// keepRoute gives route o the stored spec (keepSpec) and the shared
// values of what is new: its status, or the whole route. A kept spec is
// the stored object's, already shared and read by others: it is not
// walked again.
func keepRoute[T client.Object, S any](t *cacheTransform, o T, spec func(T) *S, status *gwapiv1.RouteStatus) {
	if keepSpec(t.store(o), o, spec) {
		t.values.Object(status)
		return
	}
	t.values.Object(o)
}

// store returns the informer store of o's kind, nil when not set.
func (t *cacheTransform) store(o client.Object) keyGetter {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.stores[reflect.TypeOf(o)]
}

// setStore sets the informer store of obj's kind.
func (t *cacheTransform) setStore(obj client.Object, s keyGetter) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stores == nil {
		t.stores = map[reflect.Type]keyGetter{}
	}
	t.stores[reflect.TypeOf(obj)] = s
}

// keepStoredSpecs gives t the informer stores of the route kinds.
func (t *cacheTransform) keepStoredSpecs(ctx context.Context, informers cache.Informers) error {
	for _, kind := range routeKinds {
		obj := kind.newObject()
		inf, err := informers.GetInformer(ctx, obj)
		if err != nil {
			return fmt.Errorf("informer of %s: %w", kind.name, err)
		}
		si, ok := inf.(toolscache.SharedIndexInformer)
		if !ok {
			return fmt.Errorf("informer of %s: %T has no store", kind.name, inf)
		}
		t.setStore(obj, si.GetStore())
	}
	return nil
}

// keepSpec gives o the spec of the object store holds for it when that is
// the same object (UID) at the same generation: the same spec. The spec is
// the stored one's value; its slices and pointers are shared, as cached
// objects are never modified. So are the metadata's equal strings and
// maps (keepMeta). It reports whether it kept them.
func keepSpec[T client.Object, S any](store keyGetter, o T, spec func(T) *S) bool {
	if store == nil || o.GetGeneration() == 0 {
		return false
	}
	key, err := toolscache.MetaNamespaceKeyFunc(o)
	if err != nil {
		return false
	}
	item, ok, err := store.GetByKey(key)
	if err != nil || !ok {
		return false
	}
	prev, ok := item.(T)
	if !ok || any(prev) == any(o) || prev.GetUID() != o.GetUID() || prev.GetGeneration() != o.GetGeneration() {
		return false
	}
	*spec(o) = *spec(prev)
	keepMeta(o, prev)
	return true
}

// keepMeta gives o the strings and maps of prev's metadata that have the
// same values (name, namespace and UID, labels and annotations), instead
// of the copies just decoded.
func keepMeta(o, prev client.Object) {
	o.SetName(prev.GetName())
	o.SetNamespace(prev.GetNamespace())
	o.SetUID(prev.GetUID())
	if maps.Equal(o.GetLabels(), prev.GetLabels()) {
		o.SetLabels(prev.GetLabels())
	}
	if maps.Equal(o.GetAnnotations(), prev.GetAnnotations()) {
		o.SetAnnotations(prev.GetAnnotations())
	}
}
