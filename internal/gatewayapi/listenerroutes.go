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
}

// listenerRoutes returns the IR routes of an HTTP listener in precedence
// order. With a Translator it starts from the listener's last order: the
// routes of entries gone are dropped and those of new entries merged in,
// which gives the order a full sort gives because precedence keys are
// unique. The slice is the last call's when no entry came or went.
func (t *translator) listenerRoutes(l *listenerModel) []*ir.HTTPRoute {
	if t.memo == nil {
		return irRoutes(sortEntries(l.httpEntries))
	}
	name := l.irName()
	prev := t.memo.listeners[name]
	if !t.memo.markEntries(l.httpEntries) {
		// An entry appears twice: order from scratch and remember nothing.
		delete(t.memo.listeners, name)
		return irRoutes(sortEntries(l.httpEntries))
	}
	next := &orderedListener{gen: t.memo.gen, entries: l.httpEntries}
	switch {
	case prev == nil:
		next.sorted = sortEntries(l.httpEntries)
	default:
		next.sorted = t.memo.mergeEntries(prev, l.httpEntries)
	}
	if prev != nil && len(next.sorted) == len(prev.sorted) && sameRoutes(next.sorted, prev.sorted) {
		next.sorted, next.routes = prev.sorted, prev.routes
	} else {
		next.routes = irRoutes(next.sorted)
	}
	t.memo.listeners[name] = next
	return next.routes
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

// mergeEntries returns the routes of entries (just marked by markEntries)
// in precedence order, from prev's order: its routes whose entry is still
// there, merged with the sorted routes of the entries prev did not have.
func (tr *Translator) mergeEntries(prev *orderedListener, entries []*emittedRoutes) []*orderedHTTPRoute {
	cur := tr.mark
	tr.mark++
	var gone map[*orderedHTTPRoute]bool
	for _, e := range prev.entries {
		e.prev = tr.mark
		if e.cur != cur {
			if gone == nil {
				gone = map[*orderedHTTPRoute]bool{}
			}
			for i := range e.routes {
				gone[&e.routes[i]] = true
			}
		}
	}
	var added []*emittedRoutes
	for _, e := range entries {
		if e.prev != tr.mark {
			added = append(added, e)
		}
	}
	if len(added) == 0 && gone == nil {
		return prev.sorted
	}
	return mergeSorted(prev.sorted, gone, sortEntries(added))
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

// sameRoutes reports whether a and b hold the same routes in the same order.
func sameRoutes(a, b []*orderedHTTPRoute) bool {
	for i := range a {
		if a[i].route != b[i].route {
			return false
		}
	}
	return true
}

// irRoutes returns the IR routes of an ordered list.
func irRoutes(sorted []*orderedHTTPRoute) []*ir.HTTPRoute {
	out := make([]*ir.HTTPRoute, len(sorted))
	for i, r := range sorted {
		out[i] = r.route
	}
	return out
}
