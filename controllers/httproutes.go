package controllers

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// maxHTTPRouteChanges is the number of routes changed since the last build
// from which httpRouteSet looks at every route of the store rather than
// at the changed ones.
const maxHTTPRouteChanges = 1024

// httpRouteSet gives each snapshot build the HTTPRoutes attached to our
// parents, the informer store's own objects (read-only: the informer
// replaces an object on an update and never modifies one), looking only
// at the routes that had events since the last build: at 10,000 routes a
// build after one route's change does not list and look up 10,000 routes.
// It keeps, by store key, every route of the informer's store with what
// the last build found: its object, whether it is attached, what it
// refers to (counted in the routeMemo's counts while attached, and
// collected again only when the spec changed, see sameSpec). A status
// write gives a route a new object of the same spec (recorded, it queues
// no build): the next build gives it, and the resource translator takes
// over the work of the old one for it
// (gatewayapi.Resources.GenerationTracksSpec). No copy of a route is kept
// beside the store's; an old object is let go at the next build. The
// routes of a snapshot are in the order of the last one, new ones last,
// as stableObjects orders.
//
// changes are the routes' keys with events (every event, status writes
// included: recordingHandler), recorded before the build is queued, so a build
// sees every event that queued it. A build looks at every route instead
// (and forgets what it knew of routes no longer in the store) the first
// time, after more than maxHTTPRouteChanges changes, and when our parents
// changed. Only the snapshot worker builds.
type httpRouteSet struct {
	changes pendingKeys

	built   bool
	ours    ourParents
	entries map[types.NamespacedName]*httpRouteEntry
	// order is the entries in snapshot order; gone ones are dropped at
	// the end of a build.
	order []*httpRouteEntry
	gone  int
	// gaveLast says the last build's HTTPRoutes came from the set (they
	// are then not to be copied by stableObjects).
	gaveLast bool
}

// httpRouteEntry is what the set knows of one route of the store.
type httpRouteEntry struct {
	key types.NamespacedName
	// obj is the store's object last seen.
	obj      *gwapiv1.HTTPRoute
	attached bool
	// services and rateLimitFilters are what obj refers to, counted in
	// the routeMemo's counts while attached.
	services, rateLimitFilters []types.NamespacedName
	gone                       bool
}

// build returns the routes of store attached to ours, updating the
// counts of memo (which must not be nil) by the references of the routes
// that came, went or changed. After an error reading the store, the
// changes are kept for the next build.
func (s *httpRouteSet) build(store toolscache.Store, ours ourParents, memo *routeMemo) ([]*gwapiv1.HTTPRoute, error) {
	changed := s.changes.take()
	if s.entries == nil {
		s.entries = map[types.NamespacedName]*httpRouteEntry{}
	}
	oursChanged := !sameParents(s.ours, ours)
	s.ours = ours
	if !s.built || oursChanged || len(changed) > maxHTTPRouteChanges {
		s.lookAtAll(store, oursChanged, memo)
	} else {
		// In key order: new routes come last in that order.
		keys := changed.UnsortedList()
		slices.SortFunc(keys, compareKeys)
		for _, key := range keys {
			route, err := storeRoute(store, key)
			if err != nil {
				s.changes.putBack(changed)
				return nil, err
			}
			s.update(key, route, false, memo)
		}
	}
	s.built = true
	if s.gone > 0 {
		s.order = slices.DeleteFunc(s.order, func(e *httpRouteEntry) bool { return e.gone })
		s.gone = 0
	}
	var out []*gwapiv1.HTTPRoute
	for _, e := range s.order {
		if e.attached {
			out = append(out, e.obj)
		}
	}
	return out, nil
}

// lookAtAll updates every route from the store and forgets the routes no
// longer in it; reattach says our parents changed.
func (s *httpRouteSet) lookAtAll(store toolscache.Store, reattach bool, memo *routeMemo) {
	items := store.List()
	routes := make([]*gwapiv1.HTTPRoute, 0, len(items))
	for _, item := range items {
		if route, ok := item.(*gwapiv1.HTTPRoute); ok {
			routes = append(routes, route)
		}
	}
	// In key order, not the store's random one: the new routes come last
	// in that order.
	slices.SortFunc(routes, func(a, b *gwapiv1.HTTPRoute) int {
		return compareKeys(client.ObjectKeyFromObject(a), client.ObjectKeyFromObject(b))
	})
	seen := make(sets.Set[types.NamespacedName], len(routes))
	for _, route := range routes {
		key := client.ObjectKeyFromObject(route)
		seen.Insert(key)
		s.update(key, route, reattach, memo)
	}
	for key := range s.entries {
		if !seen.Has(key) {
			s.update(key, nil, false, memo)
		}
	}
}

// update brings the entry of key up to route, the store's object (nil:
// none); reattach says our parents changed.
func (s *httpRouteSet) update(key types.NamespacedName, route *gwapiv1.HTTPRoute, reattach bool, memo *routeMemo) {
	e := s.entries[key]
	switch {
	case route == nil && e == nil:
		return
	case route == nil:
		e.setFacts(false, nil, nil, memo)
		e.gone = true
		s.gone++
		delete(s.entries, key)
		return
	case e == nil:
		e = &httpRouteEntry{key: key}
		s.entries[key] = e
		s.order = append(s.order, e)
	case e.obj == route && !reattach:
		return
	}
	// The same object (a route deleted and created again under its name
	// is another, of the same generation 1) with the same spec, e.g. after
	// a status write: the snapshot gets the new object (the resource
	// translator takes over its work for the old one:
	// GenerationTracksSpec), and its references stay.
	unchanged := e.obj != nil && e.obj.UID == route.UID && sameSpec(e.obj, route)
	e.obj = route
	if unchanged {
		if reattach {
			e.setFacts(attachedTo(e.obj, s.ours), e.services, e.rateLimitFilters, memo)
		}
		return
	}
	services, filters := sets.New[types.NamespacedName](), sets.New[types.NamespacedName]()
	collectHTTPBackendRefs(e.obj, services)
	collectRateLimitFilterRefs(e.obj, filters)
	e.setFacts(attachedTo(e.obj, s.ours), services.UnsortedList(), filters.UnsortedList(), memo)
}

// setFacts sets what the entry's route refers to and whether it is
// attached, moving its counts in memo: the new references are counted
// before the old ones are taken out, so that a key referred to before and
// after never leaves the counts' set (which would make it a new set, and
// the Services kept look changed: see refCounts.set).
func (e *httpRouteEntry) setFacts(attached bool, services, filters []types.NamespacedName, memo *routeMemo) {
	if attached {
		memo.services.add(services)
		memo.rateLimitFilters.add(filters)
	}
	if e.attached {
		memo.services.remove(e.services)
		memo.rateLimitFilters.remove(e.rateLimitFilters)
	}
	e.attached, e.services, e.rateLimitFilters = attached, services, filters
}

// attachedTo reports whether route has a parentRef to one of ours.
func attachedTo(route *gwapiv1.HTTPRoute, ours ourParents) bool {
	return slices.ContainsFunc(route.Spec.ParentRefs, func(p gwapiv1.ParentReference) bool {
		return refersToParent(route.Namespace, p, ours)
	})
}

// storeRoute returns the HTTPRoute of key in store, nil when it has none.
func storeRoute(store toolscache.Store, key types.NamespacedName) (*gwapiv1.HTTPRoute, error) {
	o, ok, err := storeGet(store, key)
	if err != nil || !ok {
		return nil, err
	}
	route, isRoute := o.(*gwapiv1.HTTPRoute)
	if !isRoute {
		return nil, fmt.Errorf("the HTTPRoute store holds a %T under %s", o, key)
	}
	return route, nil
}

func sameParents(a, b ourParents) bool {
	return a.gateways.Equal(b.gateways) && a.listenerSets.Equal(b.listenerSets)
}
