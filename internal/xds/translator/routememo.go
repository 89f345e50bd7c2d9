package translator

import (
	"iter"
	"slices"
	"unique"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/sliceends"
)

// The Cache keeps, per HTTP listener and per route configuration, what the
// last call computed from the listener's routes, aligned with those routes.
// A call whose routes are the previous ones with a run of them replaced,
// inserted or removed (what a route change gives: the resource translator
// keeps the pointers of unchanged IR routes, in order) patches that run
// alone: it validates and builds the routes of the run, and rebuilds the
// virtual hosts of their hostnames. Routes outside the run are not looked
// up in any map. Anything else, or a patch meeting a route or virtual host
// that is left out, takes the full path, which still reuses what the memo
// holds for unchanged routes and virtual hosts.

// reports are the left-out elements and warnings a step of a translation
// recorded, replayed when the step's outcome is reused.
type reports struct {
	leftOut  []LeftOut
	warnings []string
}

func (r reports) empty() bool { return len(r.leftOut) == 0 && len(r.warnings) == 0 }

// capture runs f and returns what it recorded.
func (t *translation) capture(f func()) reports {
	nl, nw := len(t.out.LeftOut), len(t.out.Warnings)
	f()
	return reports{leftOut: slices.Clone(t.out.LeftOut[nl:]), warnings: slices.Clone(t.out.Warnings[nw:])}
}

// replay records r again.
func (t *translation) replay(r reports) {
	t.out.LeftOut = append(t.out.LeftOut, r.leftOut...)
	t.out.Warnings = append(t.out.Warnings, r.warnings...)
}

// run is where two route lists differ: old[start:oldEnd] became
// new[start:newEnd].
type run struct {
	start, oldEnd, newEnd int
}

// diff is how a new route list differs from an old one, in runs sorted by
// position: one run of routes replaced, inserted or removed, or, between
// lists of the same length, several runs of replaced routes (each as long
// in both lists). Outside its runs the lists hold the same routes. Two
// routes changed far apart (a route change after another route's status
// was written, say) are two short runs, not one long one.
type diff []run

// maxRun is the most routes (old and new together) a patch takes on, for
// n routes: beyond it the full path costs about as much.
func maxRun(n int) int { return 32 + n/16 }

// diffOf returns how new differs from old, and false when it is too much
// to patch.
func diffOf(old, new []*ir.HTTPRoute) (diff, bool) {
	p, s := sliceends.Common(old, new)
	r := run{start: p, oldEnd: len(old) - s, newEnd: len(new) - s}
	switch {
	case r.start == r.oldEnd && r.start == r.newEnd:
		return nil, true
	case r.oldEnd-r.start+r.newEnd-r.start <= maxRun(len(new)):
		return diff{r}, true
	case len(old) != len(new):
		return nil, false
	}
	var d diff
	total := 0
	for i := r.start; i < r.oldEnd; i++ {
		if old[i] == new[i] {
			continue
		}
		if total += 2; total > maxRun(len(new)) {
			return nil, false
		}
		if last := len(d) - 1; last >= 0 && d[last].oldEnd == i {
			d[last].oldEnd, d[last].newEnd = i+1, i+1
		} else {
			d = append(d, run{start: i, oldEnd: i + 1, newEnd: i + 1})
		}
	}
	return d, true
}

// oldIndex is the position in the old list of position i of the new list,
// which no run covers.
func (d diff) oldIndex(i int) int {
	shift := 0
	for _, r := range d {
		if i >= r.newEnd {
			shift += r.oldEnd - r.newEnd
		}
	}
	return i + shift
}

// in returns the run covering position i of the new list, and its index.
func (d diff) in(i int) (int, bool) {
	for k, r := range d {
		if i < r.start {
			break
		}
		if i < r.newEnd {
			return k, true
		}
	}
	return 0, false
}

// hosts yields each position of the new list of n routes with its
// hostname: old's (the old list's hostnames) for the positions no run
// covers, runs[k]'s for run k's.
func (d diff) hosts(old []unique.Handle[string], runs [][]unique.Handle[string], n int) iter.Seq2[int, unique.Handle[string]] {
	return func(yield func(int, unique.Handle[string]) bool) {
		at, shift := 0, 0 // the next position, and what to add to it in old
		for k, r := range d {
			for ; at < r.start; at++ {
				if !yield(at, old[at+shift]) {
					return
				}
			}
			for ; at < r.newEnd; at++ {
				if !yield(at, runs[k][at-r.start]) {
					return
				}
			}
			shift += r.oldEnd - r.newEnd
		}
		for ; at < n; at++ {
			if !yield(at, old[at+shift]) {
				return
			}
		}
	}
}

// apply returns old with each run k of d replaced by part(k) (old may be
// modified: the memos own it).
func apply[T any](old []T, d diff, part func(k int) []T) []T {
	for k, r := range slices.Backward(d) { // from the end: earlier positions stay
		old = slices.Replace(old, r.start, r.oldEnd, part(k)...)
	}
	return old
}

// patchable returns how routes differ from a memo's own (old, with what it
// reported), and whether the memo can take them: same when they are the
// same routes (nothing to patch, the reports stay true); otherwise when the
// diff is short and the memo left nothing out (a patch does not know which
// reports would still hold).
func patchable(old, routes []*ir.HTTPRoute, r reports) (d diff, same, ok bool) {
	d, ok = diffOf(old, routes)
	switch {
	case !ok:
		return nil, false, false
	case len(d) == 0:
		return nil, true, true
	}
	return d, false, r.empty()
}

// validMemo is what validating one HTTP listener's routes gave: the routes
// given (the IR listener's slice: published IR is never modified), the
// valid ones, against which cluster set and rate limit service, and what
// was left out. Neither slice is modified once in the memo.
type validMemo struct {
	gen       uint64
	set       uint64
	rateLimit bool
	in        []*ir.HTTPRoute
	valid     []*ir.HTTPRoute
	reports   reports
}

// validHTTPRoutes returns the routes of l that check accepts, recording
// those left out. With a cache, routes validated by the last call against
// the same cluster set (set) and rate limit service are not validated again.
func (t *translation) validHTTPRoutes(l *ir.HTTPListener, set uint64, rateLimit bool, check func(*ir.HTTPRoute) error) []*ir.HTTPRoute {
	named := func(r *ir.HTTPRoute) (string, error) { return r.Name, check(r) }
	c := t.cache
	if c == nil {
		return validRoutes(t, l.Routes, named)
	}
	m := c.listeners[l.Name]
	if m != nil && m.set == set && m.rateLimit == rateLimit {
		if m.patch(l.Routes, check) {
			m.gen = c.gen
			t.replay(m.reports)
			return m.valid
		}
	} else {
		m = nil
	}
	var passed map[*ir.HTTPRoute]bool
	if m != nil {
		passed = make(map[*ir.HTTPRoute]bool, len(m.valid))
		for _, r := range m.valid {
			passed[r] = true
		}
	}
	next := &validMemo{gen: c.gen, set: set, rateLimit: rateLimit, in: l.Routes}
	next.reports = t.capture(func() {
		next.valid = validRoutes(t, l.Routes, func(r *ir.HTTPRoute) (string, error) {
			if passed[r] {
				return r.Name, nil
			}
			return named(r)
		})
	})
	c.listeners[l.Name] = next
	return next.valid
}

// patch makes the memo that of routes when they differ from its own by a
// short run of valid routes, and the memo left nothing out; or when they
// are the same routes. It reports false, having changed nothing, otherwise.
func (m *validMemo) patch(routes []*ir.HTTPRoute, check func(*ir.HTTPRoute) error) bool {
	d, same, ok := patchable(m.in, routes, m.reports)
	if !ok || same {
		return ok
	}
	for _, r := range d {
		for _, route := range routes[r.start:r.newEnd] {
			if check(route) != nil {
				return false
			}
		}
	}
	// Nothing was left out: the valid routes are the routes given.
	m.in, m.valid = routes, routes
	return true
}

// configMemo is what building one route configuration gave: the routes
// given (never modified: the caller's slice, see httpChain), the Envoy
// routes of each and its hostname (as a unique handle: finding a
// hostname's routes among 20,000 compares pointers in one array, not
// strings behind each route), the virtual host of each hostname (sorted by
// compareHostnames; nil when left out, which a patch never meets: the memo
// then reports something left out), and the configuration (nil when left
// out). The memo owns built and hostOf, which a patch modifies.
type configMemo struct {
	gen         uint64
	routes      []*ir.HTTPRoute
	built       []builtRoutes
	hostOf      []unique.Handle[string]
	misdirected []string
	vhosts      []*routev3.VirtualHost
	reports     reports
	config      *routev3.RouteConfiguration
}

// builtRoutes are the Envoy routes of one IR route, or why it is left out.
// A Cache keeps them encoded (wire: see cachedRoutes), as a slice of the
// bytes of the compact virtual host holding them once it is built;
// Translate keeps the messages (routes).
type builtRoutes struct {
	routes []*routev3.Route
	wire   []byte
	err    error
}

// patch returns the configuration of routes and misdirected, built from the
// memo's when routes differ from its own by a short run of routes that
// build, whose virtual hosts are valid, and the memo left nothing out (or
// when they are the same routes), and makes the memo that of the result.
// It reports false, having changed nothing, otherwise.
func (m *configMemo) patch(name string, routes []*ir.HTTPRoute, misdirected []string, shared *sharedRoutes) bool {
	if !slices.Equal(m.misdirected, misdirected) {
		return false
	}
	d, same, ok := patchable(m.routes, routes, m.reports)
	if !ok || same {
		return ok
	}
	p := &routePatch{m: m, d: d, routes: routes, misdirected: misdirected, shared: shared}
	hosts, ok := p.buildRuns()
	if !ok {
		return false
	}
	p.vhosts = slices.Clone(m.vhosts)
	for _, h := range hosts {
		if !p.patchHost(h) {
			return false
		}
	}
	m.routes = routes
	m.built = apply(m.built, d, func(k int) []builtRoutes { return p.built[k] })
	m.hostOf = apply(m.hostOf, d, func(k int) []unique.Handle[string] { return p.runHosts[k] })
	for _, mv := range p.moved {
		m.built[mv.at].wire = mv.wire
	}
	if p.changed {
		m.vhosts, m.config = p.vhosts, RouteConfiguration(name, p.vhosts)
	}
	return true
}

// routePatch is a patch of a configuration memo in progress (see
// configMemo.patch): the diff of its routes and the new ones, the built
// routes (built) and hostnames (runHosts) of each run's new routes, and
// what it computed so far: the virtual hosts, whether they changed, and
// the new places of the encoded routes of the virtual hosts built again.
// The memo is not modified until the patch is known to apply.
type routePatch struct {
	m           *configMemo
	d           diff
	routes      []*ir.HTTPRoute
	misdirected []string
	shared      *sharedRoutes
	built       [][]builtRoutes
	runHosts    [][]unique.Handle[string]
	vhosts      []*routev3.VirtualHost
	changed     bool
	moved       []movedWire
}

// buildRuns builds the routes of each run's new routes, and returns the
// hostnames of the runs' old and new routes, sorted (compareHostnames);
// false when a route does not build.
func (p *routePatch) buildRuns() ([]string, bool) {
	p.built = make([][]builtRoutes, len(p.d))
	p.runHosts = make([][]unique.Handle[string], len(p.d))
	var hosts []string
	for k, r := range p.d {
		for _, route := range p.routes[r.start:r.newEnd] {
			b, err := p.shared.routesOf(route)
			if err != nil {
				return nil, false
			}
			p.built[k] = append(p.built[k], builtRoutes{wire: b})
			p.runHosts[k] = append(p.runHosts[k], unique.Make(route.Hostname))
			hosts = appendNew(hosts, route.Hostname)
		}
		for _, route := range p.m.routes[r.start:r.oldEnd] {
			hosts = appendNew(hosts, route.Hostname)
		}
	}
	slices.SortFunc(hosts, compareHostnames)
	return hosts, true
}

// wireAt returns the encoded routes of the new route at position i.
func (p *routePatch) wireAt(i int) []byte {
	if k, ok := p.d.in(i); ok {
		return p.built[k][i-p.d[k].start].wire
	}
	return p.m.built[p.d.oldIndex(i)].wire
}

// hostWires returns the positions of hostname's new routes and their
// encoded routes, or the misdirected route alone when it has none and is
// misdirected (no positions).
func (p *routePatch) hostWires(hostname string) ([]int, [][]byte) {
	var at []int
	var wires [][]byte
	handle := unique.Make(hostname)
	for i, host := range p.d.hosts(p.m.hostOf, p.runHosts, len(p.routes)) {
		if host == handle {
			at, wires = append(at, i), append(wires, p.wireAt(i))
		}
	}
	if len(wires) == 0 && slices.Contains(p.misdirected, hostname) {
		wires = [][]byte{misdirectedWire}
	}
	return at, wires
}

// patchHost brings the virtual host of hostname up to its new routes:
// removed when it has none, kept when its bytes are the same, built (or
// taken from another configuration) otherwise; false when it is not
// valid.
func (p *routePatch) patchHost(hostname string) bool {
	at, wires := p.hostWires(hostname)
	pos, found := slices.BinarySearchFunc(p.vhosts, hostname, compareVhostName)
	switch {
	case len(wires) == 0 && found:
		p.vhosts = slices.Delete(p.vhosts, pos, pos+1)
		p.changed = true
		return true
	case len(wires) == 0:
		return true
	}
	var prev *routev3.VirtualHost
	if found {
		prev = p.vhosts[pos]
	}
	vh, parts, err := checkedCompactVirtualHost(hostname, wires, prev, p.shared.vhostsOf(hostname))
	if err != nil {
		return false
	}
	// The encodings of the runs' new routes are offered to the other
	// configurations of the translation (their patches ask for those; the
	// unchanged routes are in their memos).
	var newRoutes []*ir.HTTPRoute
	var newParts [][]byte
	for k, i := range at {
		p.moved = append(p.moved, movedWire{at: i, wire: parts[k]})
		if _, inRun := p.d.in(i); inRun {
			newRoutes, newParts = append(newRoutes, p.routes[i]), append(newParts, parts[k])
		}
	}
	p.shared.add(vh, newRoutes, newParts)
	switch {
	case vh == prev:
		return true
	case found:
		p.vhosts[pos] = vh
	default:
		p.vhosts = slices.Insert(p.vhosts, pos, vh)
	}
	p.changed = true
	return true
}

// movedWire is the new place of the encoded routes of the route at a
// position: a slice of the bytes of the virtual host holding them.
type movedWire struct {
	at   int
	wire []byte
}

// compareVhostName compares a virtual host's name (its hostname) with a
// hostname, by compareHostnames.
func compareVhostName(vh *routev3.VirtualHost, hostname string) int {
	return compareHostnames(vh.GetName(), hostname)
}

// appendNew appends s to list unless list has it.
func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// byRoute returns the memo's built routes by IR route and its virtual
// hosts by hostname; none for a nil memo.
func (m *configMemo) byRoute() (map[*ir.HTTPRoute]builtRoutes, map[string]*routev3.VirtualHost) {
	if m == nil {
		return nil, nil
	}
	built := make(map[*ir.HTTPRoute]builtRoutes, len(m.routes))
	for i, r := range m.routes {
		built[r] = m.built[i]
	}
	vhosts := make(map[string]*routev3.VirtualHost, len(m.vhosts))
	for _, vh := range m.vhosts {
		if vh != nil {
			vhosts[vh.GetName()] = vh
		}
	}
	return built, vhosts
}
