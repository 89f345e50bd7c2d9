package gatewayapi

import (
	"slices"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// orderedListener is what a Translator remembers of one HTTP listener: the
// route entries it had, their routes in precedence order and the IR route
// slice made from that order. None of them is modified once made.
type orderedListener struct {
	gen     uint64
	entries []*emittedRoutes
	sorted  []*orderedHTTPRoute
	routes  []*ir.HTTPRoute
	// clusters counts the entries using each cluster.
	clusters map[string]int
}

// listenerRoutes returns the IR routes of an HTTP listener in precedence
// order, how many of its entries use each cluster, and whether the names
// of those clusters are the last call's (always false without a
// Translator). With a Translator it starts from the listener's last order
// and counts: the routes of entries gone are dropped and those of new
// entries merged in, which gives the order a full sort gives because
// precedence keys are unique. The slice is the last call's when no entry
// came or went.
func (t *translator) listenerRoutes(l *listenerModel) ([]*ir.HTTPRoute, map[string]int, bool) {
	if t.memo == nil {
		counts, _ := countClusters(nil, l.httpEntries, 1)
		return irRoutes(sortEntries(l.httpEntries)), counts, false
	}
	name := l.irName()
	prev := t.memo.listeners[name]
	if !t.memo.markEntries(l.httpEntries) {
		// An entry appears twice: order from scratch and remember nothing.
		delete(t.memo.listeners, name)
		counts, _ := countClusters(nil, l.httpEntries, 1)
		return irRoutes(sortEntries(l.httpEntries)), counts, false
	}
	next := &orderedListener{gen: t.memo.gen, entries: l.httpEntries}
	if prev == nil {
		next.sorted = sortEntries(l.httpEntries)
		next.clusters, _ = countClusters(nil, l.httpEntries, 1)
		next.routes = irRoutes(next.sorted)
		t.memo.listeners[name] = next
		return next.routes, next.clusters, false
	}
	gone, added := t.memo.changedEntries(prev, l.httpEntries)
	// prev is replaced by next: its counts are taken over and updated. A
	// cluster whose count went to 0 and back (a changed route using the
	// same clusters) is still there.
	counts, dropped := countClusters(prev.clusters, gone, -1)
	counts, created := countClusters(counts, added, 1)
	next.clusters = counts
	sameNames := len(dropped) == len(created)
	for _, n := range dropped {
		sameNames = sameNames && counts[n] > 0
	}
	if len(gone) == 0 && len(added) == 0 {
		next.sorted, next.routes = prev.sorted, prev.routes
	} else {
		next.sorted = mergeSorted(prev.sorted, goneRoutes(gone), sortEntries(added))
		next.routes = irRoutes(next.sorted)
	}
	t.memo.listeners[name] = next
	return next.routes, next.clusters, sameNames
}

// markEntries marks the entries with a new mark (cur), reporting false
// when an entry appears twice.
func (tr *Translator) markEntries(entries []*emittedRoutes) bool {
	tr.mark++
	for _, e := range entries {
		if e.cur == tr.mark {
			return false
		}
		e.cur = tr.mark
	}
	return true
}

// changedEntries returns the entries prev had that entries (just marked by
// markEntries) do not have, and those entries has that prev had not.
func (tr *Translator) changedEntries(prev *orderedListener, entries []*emittedRoutes) (gone, added []*emittedRoutes) {
	cur := tr.mark
	tr.mark++
	for _, e := range prev.entries {
		e.prev = tr.mark
		if e.cur != cur {
			gone = append(gone, e)
		}
	}
	for _, e := range entries {
		if e.prev != tr.mark {
			added = append(added, e)
		}
	}
	return gone, added
}

// goneRoutes returns the set of the routes of entries, nil when none.
func goneRoutes(entries []*emittedRoutes) map[*orderedHTTPRoute]bool {
	if len(entries) == 0 {
		return nil
	}
	out := map[*orderedHTTPRoute]bool{}
	for _, e := range entries {
		for i := range e.routes {
			out[&e.routes[i]] = true
		}
	}
	return out
}

// countClusters adds delta to the count of every cluster each entry uses
// (once per entry) in counts (a new map when nil), dropping counts that
// reach 0, and returns counts with the names that came (delta 1) or went
// (delta -1).
func countClusters(counts map[string]int, entries []*emittedRoutes, delta int) (map[string]int, []string) {
	if counts == nil {
		counts = map[string]int{}
	}
	var changed []string
	for _, e := range entries {
		for _, name := range e.usedClusters() {
			counts[name] += delta
			switch {
			case counts[name] == 0:
				delete(counts, name)
				changed = append(changed, name)
			case delta > 0 && counts[name] == delta:
				changed = append(changed, name)
			}
		}
	}
	return counts, changed
}

// usedClusters returns the names of the clusters the entry's routes use,
// each once, computed on first use (the routes never change).
func (e *emittedRoutes) usedClusters() []string {
	if e.clusters != nil {
		return e.clusters
	}
	e.clusters = []string{}
	add := func(name string) {
		if !slices.Contains(e.clusters, name) {
			e.clusters = append(e.clusters, name)
		}
	}
	for _, r := range e.routes {
		if d := r.route.Destination; d != nil {
			for _, b := range d.Backends {
				add(b.Cluster)
			}
		}
		for _, m := range r.route.Mirrors {
			add(m.Cluster)
		}
	}
	return e.clusters
}

// mergeSorted merges two lists in precedence order, leaving out the routes
// of a that are gone.
func mergeSorted(a []*orderedHTTPRoute, gone map[*orderedHTTPRoute]bool, b []*orderedHTTPRoute) []*orderedHTTPRoute {
	out := make([]*orderedHTTPRoute, 0, len(a)-len(gone)+len(b))
	j := 0
	for _, r := range a {
		if gone[r] {
			continue
		}
		for j < len(b) && compareHTTPOrder(&b[j].key, &r.key) < 0 {
			out = append(out, b[j])
			j++
		}
		out = append(out, r)
	}
	return append(out, b[j:]...)
}

// sortEntries returns the routes of entries in precedence order.
func sortEntries(entries []*emittedRoutes) []*orderedHTTPRoute {
	n := 0
	for _, e := range entries {
		n += len(e.routes)
	}
	out := make([]*orderedHTTPRoute, 0, n)
	for _, e := range entries {
		for i := range e.routes {
			out = append(out, &e.routes[i])
		}
	}
	slices.SortFunc(out, func(a, b *orderedHTTPRoute) int { return compareHTTPOrder(&a.key, &b.key) })
	return out
}

// irRoutes returns the IR routes of an ordered list.
func irRoutes(sorted []*orderedHTTPRoute) []*ir.HTTPRoute {
	out := make([]*ir.HTTPRoute, len(sorted))
	for i, r := range sorted {
		out[i] = r.route
	}
	return out
}
