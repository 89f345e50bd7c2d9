package controllers

import (
	"maps"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// routeMemo remembers, per route object, whether it has a parentRef to one
// of our parents and what it refers to, from one snapshot build to the
// next. The routes come from the informer stores (listShared): the same
// pointer until the route is updated, when the store holds a new object.
// At 10,000 routes this makes a build look each route up once instead of
// walking its parentRefs and rules. Only the snapshot worker uses it.
type routeMemo struct {
	gen uint64
	// ours are the parents the attached answers hold for; a build with
	// other parents forgets them.
	ours   ourParents
	routes map[client.Object]*routeFacts
}

// routeFacts are what a build found out about one route object.
type routeFacts struct {
	gen uint64
	// attached is known when attachedKnown, for routeMemo.ours.
	attached, attachedKnown bool
	// refs are the Services and RateLimitFilters the route refers to,
	// once collected (refsKnown).
	services, rateLimitFilters []types.NamespacedName
	refsKnown                  bool
}

// begin starts a build with our parents ours.
func (m *routeMemo) begin(ours ourParents) {
	if m == nil {
		return
	}
	m.gen++
	if m.routes == nil {
		m.routes = map[client.Object]*routeFacts{}
	}
	if !maps.Equal(m.ours.gateways, ours.gateways) || !maps.Equal(m.ours.listenerSets, ours.listenerSets) {
		for _, f := range m.routes {
			f.attachedKnown = false
		}
		m.ours = ours
	}
}

// end forgets the routes the build did not see.
func (m *routeMemo) end() {
	if m == nil {
		return
	}
	for o, f := range m.routes {
		if f.gen != m.gen {
			delete(m.routes, o)
		}
	}
}

// facts returns the facts of route (nil for a nil m), marking it seen.
func (m *routeMemo) facts(route client.Object) *routeFacts {
	if m == nil {
		return nil
	}
	f := m.routes[route]
	if f == nil {
		f = &routeFacts{}
		m.routes[route] = f
	}
	f.gen = m.gen
	return f
}

// attached reports whether route is attached to our parents, asking
// compute once per route object.
func (m *routeMemo) attached(route client.Object, compute func() bool) bool {
	f := m.facts(route)
	if f == nil {
		return compute()
	}
	if !f.attachedKnown {
		f.attached, f.attachedKnown = compute(), true
	}
	return f.attached
}

// collect adds what route refers to to services and rateLimitFilters,
// collecting it with collect once per route object.
func (m *routeMemo) collect(
	route client.Object, services, rateLimitFilters sets.Set[types.NamespacedName],
	collect func(services, rateLimitFilters sets.Set[types.NamespacedName]),
) {
	f := m.facts(route)
	if f == nil {
		collect(services, rateLimitFilters)
		return
	}
	if !f.refsKnown {
		s, r := sets.New[types.NamespacedName](), sets.New[types.NamespacedName]()
		collect(s, r)
		f.services, f.rateLimitFilters, f.refsKnown = s.UnsortedList(), r.UnsortedList(), true
	}
	services.Insert(f.services...)
	rateLimitFilters.Insert(f.rateLimitFilters...)
}
