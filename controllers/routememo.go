package controllers

import (
	"maps"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// routeMemo remembers, per route object, whether it has a parentRef to one
// of our parents and what it refers to, from one snapshot build to the
// next, and counts the references of the attached routes. The routes come
// from the informer stores (listShared): the same pointer until the route
// is updated, when the store holds a new object. At 10,000 routes this
// makes a build look each route up once instead of walking its parentRefs
// and rules, and the referenced Services change by the routes that
// changed instead of being collected into a new set of 10,000. Only the
// snapshot worker uses it.
type routeMemo struct {
	gen uint64
	// ours are the parents the attached answers hold for; a build with
	// other parents forgets them.
	ours   ourParents
	routes map[client.Object]*routeFacts
	// services and rateLimitFilters are what the routes that refer to
	// them (routeFacts.counted) refer to, with the number of such routes.
	services, rateLimitFilters refCounts
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
	// counted says the refs are counted in the memo's refCounts;
	// collected is the last build that collected them.
	counted   bool
	collected uint64
}

// refCounts is a set of keys with, for each, the number of routes
// referring to it: the keys of count.
type refCounts struct {
	count map[types.NamespacedName]int
	// handed is the set of the keys handed out, nil once they changed.
	handed sets.Set[types.NamespacedName]
}

func (c *refCounts) add(keys []types.NamespacedName) {
	if c.count == nil {
		c.count = map[types.NamespacedName]int{}
	}
	for _, k := range keys {
		if c.count[k]++; c.count[k] == 1 {
			c.handed = nil
		}
	}
}

func (c *refCounts) remove(keys []types.NamespacedName) {
	for _, k := range keys {
		if c.count[k]--; c.count[k] <= 0 {
			delete(c.count, k)
			c.handed = nil
		}
	}
}

// set returns the keys as a set apart from c's: the same set from build to
// build while the keys stay the same (a route change that keeps its
// references copies no set of 20,000 Services; keptServices knows the set
// by identity), a new one once they changed. The set is shared: no one
// modifies it. (The keys are not kept as a set besides count: at 20,000
// Services that set took about 2 MB for as long as the process ran.)
func (c *refCounts) set() sets.Set[types.NamespacedName] {
	if c.handed == nil {
		c.handed = make(sets.Set[types.NamespacedName], len(c.count))
		for k := range c.count {
			c.handed.Insert(k)
		}
	}
	return c.handed
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

// settle ends the collection of a build: the routes it did not see are
// forgotten, those it did not collect (not attached, or gone) are no
// longer counted, and refs gets the references of the routes it
// collected. A nil m leaves refs as the collection made it.
func (m *routeMemo) settle(refs *references) {
	if m == nil {
		return
	}
	for o, f := range m.routes {
		if f.counted && f.collected != m.gen {
			m.services.remove(f.services)
			m.rateLimitFilters.remove(f.rateLimitFilters)
			f.counted = false
		}
		if f.gen != m.gen {
			delete(m.routes, o)
		}
	}
	refs.services = union(refs.services, m.services.set())
	refs.rateLimitFilters = union(refs.rateLimitFilters, m.rateLimitFilters.set())
}

// union returns a with b's keys added: b itself (a set of its own) when a
// is empty, which it is in a build (only routes add references of these
// kinds).
func union(a, b sets.Set[types.NamespacedName]) sets.Set[types.NamespacedName] {
	if len(a) == 0 {
		return b
	}
	return a.Insert(b.UnsortedList()...)
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

// collect notes what an attached route refers to, collecting it with
// collect once per route object: into refs without a memo, otherwise into
// the memo's counts (settle gives them to refs).
func (m *routeMemo) collect(
	route client.Object, refs *references, collect func(services, rateLimitFilters sets.Set[types.NamespacedName]),
) {
	f := m.facts(route)
	if f == nil {
		collect(refs.services, refs.rateLimitFilters)
		return
	}
	if !f.refsKnown {
		s, r := sets.New[types.NamespacedName](), sets.New[types.NamespacedName]()
		collect(s, r)
		f.services, f.rateLimitFilters, f.refsKnown = s.UnsortedList(), r.UnsortedList(), true
	}
	f.collected = m.gen
	if !f.counted {
		m.services.add(f.services)
		m.rateLimitFilters.add(f.rateLimitFilters)
		f.counted = true
	}
}
