package controllers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/chunked"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/identity"
)

// routeKinds are the route kinds whose statuses the writer writes.
var routeKinds = []routeKind{httpRouteKind, grpcRouteKind, tlsRouteKind, tcpRouteKind}

// routeEvents collects, per route kind, the keys of the routes the
// informer cache had an event for (created, updated, deleted: a spec
// change, a status write of ours or anyone's) until a round takes them.
// With them, a round after a round that wrote every route status needs to
// look only at the routes whose computed status changed and at those whose
// stored object changed, not at every route: what a route change costs
// stays what it changes at 10,000 routes.
type routeEvents struct {
	keys map[string]*pendingKeys
	// remove unregisters the handlers.
	remove []func()
}

// watchRouteEvents registers a handler on the informer of every route kind.
// The handlers see every event after their registration; a round that
// walks every route (the first of the writer's term) covers what came
// before.
func watchRouteEvents(ctx context.Context, informers cache.Informers) (*routeEvents, error) {
	e := &routeEvents{keys: map[string]*pendingKeys{}}
	for _, kind := range routeKinds {
		inf, err := informers.GetInformer(ctx, kind.newObject())
		if err != nil {
			e.stop()
			return nil, fmt.Errorf("watching %s events: %w", kind.name, err)
		}
		keys := &pendingKeys{}
		mark := func(obj any) {
			k, err := toolscache.DeletionHandlingMetaNamespaceKeyFunc(obj)
			if err != nil {
				return
			}
			if ns, name, err := toolscache.SplitMetaNamespaceKey(k); err == nil {
				keys.add(types.NamespacedName{Namespace: ns, Name: name})
			}
		}
		reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { mark(obj) },
			UpdateFunc: func(_, obj any) { mark(obj) },
			DeleteFunc: mark,
		})
		if err != nil {
			e.stop()
			return nil, fmt.Errorf("watching %s events: %w", kind.name, err)
		}
		e.keys[kind.name] = keys
		e.remove = append(e.remove, func() { _ = inf.RemoveEventHandler(reg) })
	}
	return e, nil
}

// take returns the keys of every kind collected since the last take.
func (e *routeEvents) take() map[string]sets.Set[types.NamespacedName] {
	out := map[string]sets.Set[types.NamespacedName]{}
	for kind, keys := range e.keys {
		out[kind] = keys.take()
	}
	return out
}

func (e *routeEvents) stop() {
	for _, remove := range e.remove {
		remove()
	}
}

// changedRouteKeys returns, sorted, the keys of the routes whose status
// differs between two results' statuses of one kind (both sorted by
// namespace and name, see gatewayapi.Statuses): the routes only one has,
// and those whose parent statuses are not the same slice (the resource
// translator keeps an unchanged route's status from result to result).
// The chunks the two lists share are skipped whole.
func changedRouteKeys(prev, cur gatewayapi.RouteStatuses) []types.NamespacedName {
	var out []types.NamespacedName
	a, b := prev.Cursor(), cur.Cursor()
	for !a.Done() || !b.Done() {
		if chunked.SkipShared(a, b) { // the same statuses: none changed
			continue
		}
		switch c := compareStatusKeys(a, b); {
		case c < 0:
			out = append(out, key(a.Value().ObjectKey))
			a.Next()
		case c > 0:
			out = append(out, key(b.Value().ObjectKey))
			b.Next()
		default:
			if p, n := a.Value(), b.Value(); !identity.Slice(p.Parents, n.Parents) {
				out = append(out, key(n.ObjectKey))
			}
			a.Next()
			b.Next()
		}
	}
	return out
}

// compareStatusKeys compares the keys of the statuses at a and b, a
// cursor past its list's end coming after any key.
func compareStatusKeys(a, b *chunked.Cursor[gatewayapi.RouteStatus]) int {
	switch {
	case a.Done():
		return 1
	case b.Done():
		return -1
	}
	return compareKeys(key(a.Value().ObjectKey), key(b.Value().ObjectKey))
}

func compareKeys(a, b types.NamespacedName) int {
	return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
}

// routeStatusOf returns the status of the route k in statuses (sorted).
func routeStatusOf(statuses gatewayapi.RouteStatuses, k types.NamespacedName) (gatewayapi.RouteStatus, bool) {
	i, found := chunked.BinarySearchFunc(statuses, k, func(s gatewayapi.RouteStatus, k types.NamespacedName) int {
		return compareKeys(key(s.ObjectKey), k)
	})
	if !found {
		return gatewayapi.RouteStatus{}, false
	}
	return statuses.At(i), true
}

// routesToCheck returns the routes of a kind a round must look at after a
// round that wrote every route status of prev (and wrote none of a
// rejected route): those whose status changed from prev to cur and those
// with an event since, sorted.
func routesToCheck(prev, cur gatewayapi.RouteStatuses, events sets.Set[types.NamespacedName]) []types.NamespacedName {
	out := changedRouteKeys(prev, cur)
	for k := range events {
		out = append(out, k)
	}
	slices.SortFunc(out, compareKeys)
	return slices.Compact(out)
}

// routeReader returns how to read the routes of a kind as the cache has
// them, found or not: the informer store's objects themselves when the
// cache has a store of them (read-only, see storeOf; the store is looked
// up once per round, not per route), copies otherwise.
func (w *statusWriter) routeReader(
	ctx context.Context, kind routeKind,
) func(k types.NamespacedName) (client.Object, bool, error) {
	store, err := storeOf(ctx, w.informers, kind.newObject())
	switch {
	case err != nil:
		return func(types.NamespacedName) (client.Object, bool, error) { return nil, false, err }
	case store != nil:
		return func(k types.NamespacedName) (client.Object, bool, error) { return storeGet(store, k) }
	}
	return func(k types.NamespacedName) (client.Object, bool, error) {
		o := kind.newObject()
		if err := w.cache.Get(ctx, k, o); err != nil {
			return nil, false, client.IgnoreNotFound(err)
		}
		return o, true, nil
	}
}
