package gatewayapi

import (
	"slices"

	"github.com/envoygw/envoy-gateway/internal/chunked"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// orderedListener is what a Translator remembers of one HTTP listener: the
// route entries it had, their routes in precedence order (a chunked list:
// the next order, a few routes changed, shares all but a few chunks) and
// the IR route slice made from that order. None of them is modified once
// made.
type orderedListener struct {
	gen     uint64
	entries []*emittedRoutes
	sorted  chunked.List[*orderedHTTPRoute]
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
	return t.memoListenerRoutes(l)
}

// memoListenerRoutes is listenerRoutes with a Translator.
func (t *translator) memoListenerRoutes(l *listenerModel) ([]*ir.HTTPRoute, map[string]int, bool) {
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
		sorted := sortEntries(l.httpEntries)
		next.sorted = chunked.Of(sorted)
		next.clusters, _ = countClusters(nil, l.httpEntries, 1)
		next.routes = irRoutes(sorted)
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
	next.sorted, next.routes = prev.sorted, prev.routes
	if len(gone) > 0 || len(added) > 0 {
		var ok bool
		next.sorted, next.routes, ok = spliceSorted(prev.sorted, prev.routes, gone, sortEntries(added))
		if !ok { // a route gone is not where its key says: never so
			sorted := sortEntries(l.httpEntries)
			next.sorted, next.routes = chunked.Of(sorted), irRoutes(sorted)
		}
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

// spliceSorted returns the routes of sorted (in precedence order) and
// routes (their IR routes, index for index) without the routes of the
// entries gone and with added (in precedence order) merged in: each route
// gone or added is found by binary search on its key (keys are unique on a
// listener), and the runs of routes between are copied whole (the sorted
// list is edited in place of each, sharing its other chunks). It returns
// false when a route gone is not in sorted at the place of its key.
func spliceSorted(sorted chunked.List[*orderedHTTPRoute], routes []*ir.HTTPRoute, gone []*emittedRoutes, added []*orderedHTTPRoute) (chunked.List[*orderedHTTPRoute], []*ir.HTTPRoute, bool) {
	compare := func(r *orderedHTTPRoute, key *httpOrderKey) int { return compareHTTPOrder(&r.key, key) }
	var drop []int
	for _, e := range gone {
		for i := range e.routes {
			at, found := chunked.BinarySearchFunc(sorted, &e.routes[i].key, compare)
			if !found || sorted.At(at) != &e.routes[i] {
				return sorted, nil, false
			}
			drop = append(drop, at)
		}
	}
	slices.Sort(drop)
	// edits are the positions of sorted where a route is dropped (nil) or
	// one inserted, in increasing order; at one position, the insertions
	// come before the drop (a route added with the key of one gone).
	type edit struct {
		at    int
		route *orderedHTTPRoute
	}
	var edits []edit
	outRoutes := make([]*ir.HTTPRoute, 0, len(routes)-len(drop)+len(added))
	from := 0 // the first index of sorted not copied yet
	copyTo := func(to int) {
		outRoutes = append(outRoutes, routes[from:to]...)
	}
	for _, r := range added {
		// A route added goes before the first route not less than it (one
		// with its key is gone: it comes out next).
		at, _ := chunked.BinarySearchFunc(sorted, &r.key, compare)
		for len(drop) > 0 && drop[0] < at {
			copyTo(drop[0])
			edits = append(edits, edit{at: drop[0]})
			from, drop = drop[0]+1, drop[1:]
		}
		copyTo(max(at, from))
		from = max(at, from)
		outRoutes = append(outRoutes, r.route)
		edits = append(edits, edit{at: from, route: r})
	}
	for _, d := range drop {
		copyTo(d)
		edits = append(edits, edit{at: d})
		from = d + 1
	}
	copyTo(sorted.Len())
	// From the last edit back, so that the positions before stay sorted's.
	for _, e := range slices.Backward(edits) {
		if e.route == nil {
			sorted = sorted.Replace(e.at, e.at+1)
		} else {
			sorted = sorted.Replace(e.at, e.at, e.route)
		}
	}
	return sorted, outRoutes, true
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
