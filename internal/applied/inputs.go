package applied

import (
	"hash/maphash"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/sliceends"
)

// inputs are the objects a fleet's configuration is built from, with their
// generations: its Gateways, the ListenerSets and routes that contribute
// listeners and routes. Two results whose fleet has equal inputs give that
// fleet the same configuration (up to endpoints and Secrets, which have no
// generation in status). The HTTPRoutes behind the fleet's HTTP listeners,
// the many, are held apart, with the IR they were found in, so that the
// next result's inputs can be patched from them (see patchHTTPRoutes).
type inputs struct {
	// other are the Gateways, ListenerSets and TLSRoutes, keyed
	// "<Kind> <namespace>/<name>", with their generations.
	other map[string]int64
	// http are the HTTPRoutes of the IR routes of xds's HTTP listeners,
	// and httpSum the sum of their entries' hashes (see entryHash).
	http    *routeInputs
	httpSum uint64
	xds     *ir.Xds
}

// routeInput is an HTTPRoute input: its generation, and how many IR routes
// of the fleet's HTTP listeners come from it.
type routeInput struct {
	gen int64
	n   int
}

// equal reports whether in and other name the same objects with the same
// generations (nil: no inputs).
func (in *inputs) equal(other *inputs) bool {
	if in == nil || other == nil || in == other {
		return in == other
	}
	if in.httpSum != other.httpSum || in.http.len() != other.http.len() || !maps.Equal(in.other, other.other) {
		return false
	}
	// Different sums are different entries: the HTTPRoutes, the many, are
	// compared one by one only when their sums say they may be equal, and
	// not when they are the same maps (a patch that changed none keeps
	// them).
	return in.http.sameGenerations(other.http)
}

// hashSeed seeds the hashes of HTTPRoute inputs.
var hashSeed = maphash.MakeSeed()

// entryHash is the hash of an HTTPRoute input of key at generation gen.
// An inputs' httpSum is the sum of its entries' hashes: the same entries
// give the same sum whatever the order, and a patch updates it by the
// entries it changes.
func entryHash(key string, gen int64) uint64 {
	return maphash.String(hashSeed, key) ^ uint64(gen)*0x9e3779b97f4a7c15
}

// sumOf returns the sum of the hashes of http's entries.
func sumOf(http *routeInputs) uint64 {
	var sum uint64
	for k, e := range http.all {
		sum += entryHash(k, e.gen)
	}
	return sum
}

// fleetIndex holds, for one result, the inputs of each fleet and the fleet
// of each Gateway and ListenerSet.
type fleetIndex struct {
	inputs       map[string]*inputs
	gateways     map[gatewayapi.ObjectKey]string
	listenerSets map[gatewayapi.ObjectKey]string
	// patched counts the fleets whose HTTPRoute inputs were patched.
	patched int
}

// routeKeys remembers the inputs key of each IR route ("HTTPRoute
// <namespace>/<name>", from its name) of the results indexed last: the
// resource translator keeps the IR routes of unchanged routes from result
// to result, so a new result costs a lookup per IR route, not parsing
// 40,000 names at 10,000 routes. Not safe for concurrent use.
type routeKeys struct {
	gen  uint64
	keys map[*ir.HTTPRoute]*routeKey
	// sizes are the numbers of HTTPRoute inputs of each fleet when last
	// indexed.
	sizes map[string]int
}

// size returns the number of HTTPRoute inputs fleet had when last indexed
// (0 for a nil c or a fleet not indexed yet).
func (c *routeKeys) size(fleet string) int {
	if c == nil {
		return 0
	}
	return c.sizes[fleet]
}

// setSize records the number of HTTPRoute inputs of fleet; a nil c records
// nothing.
func (c *routeKeys) setSize(fleet string, n int) {
	if c == nil {
		return
	}
	if c.sizes == nil {
		c.sizes = map[string]int{}
	}
	c.sizes[fleet] = n
}

// routeKey is the inputs key of an IR route ("" when its name names no
// HTTPRoute), the route's namespace and name, and the last index that used
// it.
type routeKey struct {
	gen   uint64
	key   string
	route gatewayapi.ObjectKey
}

// key returns the inputs entry of r.
func (c *routeKeys) key(r *ir.HTTPRoute) *routeKey {
	e := c.keys[r]
	if e == nil {
		e = &routeKey{}
		if kind, k, named := routeOf(r.Name); named && kind == kindHTTPRoute {
			e.key, e.route = inputKey(kind, k), k
		}
		c.keys[r] = e
	}
	e.gen = c.gen
	return e
}

// sweep drops the keys of the IR routes the last index did not use.
func (c *routeKeys) sweep() {
	for r, e := range c.keys {
		if e.gen != c.gen {
			delete(c.keys, r)
		}
	}
}

// indexResult computes the inputs of every fleet of r. keys, when not nil,
// gives the keys of IR routes seen before and keeps those of r's; base,
// when not nil, is the index of an earlier result, whose HTTPRoute inputs
// a fleet's are patched from when its HTTP listeners are base's with a
// few IR routes replaced (see patchHTTPRoutes). Without keys, nothing is
// patched.
func indexResult(r *gatewayapi.Result, keys *routeKeys, base *fleetIndex) *fleetIndex {
	idx := &fleetIndex{
		inputs:       map[string]*inputs{},
		gateways:     map[gatewayapi.ObjectKey]string{},
		listenerSets: map[gatewayapi.ObjectKey]string{},
	}
	if r == nil {
		return idx
	}
	gens := otherGenerations(r)
	var routeGens map[string]int64 // made when a fleet's HTTPRoutes are indexed whole
	if keys != nil && len(keys.keys) > 2*httpRouteCount(r) {
		// Patches drop the keys of the IR routes they see go, not those
		// of an older result indexed after a newer one: an index computed
		// whole sweeps them.
		base = nil
	}
	for _, f := range r.Fleets {
		if f == nil {
			continue
		}
		in := &inputs{other: map[string]int64{}, xds: f.Xds}
		if f.Infra != nil && f.Infra.Proxy != nil {
			for _, gw := range f.Infra.Proxy.Gateways {
				k := objectKey(gw)
				idx.gateways[k] = f.Name
				in.other[inputKey("Gateway", k)] = gens[inputKey("Gateway", k)]
			}
		}
		for _, name := range listenerNames(f.Xds) {
			if parts := strings.Split(name, "/"); len(parts) == 5 {
				k := gatewayapi.ObjectKey{Namespace: parts[2], Name: parts[3]}
				idx.listenerSets[k] = f.Name
				in.other[inputKey("ListenerSet", k)] = gens[inputKey("ListenerSet", k)]
			}
		}
		for _, name := range tlsRouteNames(f.Xds) {
			if kind, k, ok := routeOf(name); ok {
				in.other[inputKey(kind, k)] = gens[inputKey(kind, k)]
			}
		}
		var ok bool
		if keys != nil && base != nil {
			in.http, in.httpSum, ok = patchHTTPRoutes(base.inputs[f.Name], f.Xds, keys, r)
		}
		if ok {
			idx.patched++
		} else {
			if routeGens == nil {
				routeGens = httpRouteGenerations(r)
			}
			in.http = httpRoutes(f.Xds, keys, routeGens, keys.size(f.Name))
			in.httpSum = sumOf(in.http)
		}
		idx.inputs[f.Name] = in
		keys.setSize(f.Name, in.http.len())
	}
	if keys != nil {
		// A patch visits the IR routes that changed only: the keys of
		// the others are not marked as used. Keys are swept when every
		// fleet was indexed whole; patchHTTPRoutes drops those of the IR
		// routes it sees go.
		if idx.patched == 0 {
			keys.sweep()
		}
		keys.gen++
		for fleet := range keys.sizes {
			if _, ok := idx.inputs[fleet]; !ok {
				delete(keys.sizes, fleet)
			}
		}
	}
	return idx
}

// httpRoutes returns the HTTPRoute inputs of the IR routes of x's HTTP
// listeners, taking their keys from keys when not nil and their
// generations from gens. size is the expected number of inputs (the
// fleet's last time): no growing the map one route at a time.
func httpRoutes(x *ir.Xds, keys *routeKeys, gens map[string]int64, size int) *routeInputs {
	out := make(map[string]routeInput, size)
	if x == nil {
		return newRouteInputs(out)
	}
	for _, l := range x.HTTP {
		last := ""
		for _, route := range l.Routes {
			var key string
			if keys != nil {
				key = keys.key(route).key
			} else if kind, k, named := routeOf(route.Name); named && kind == kindHTTPRoute {
				key = inputKey(kind, k)
			}
			if key == "" {
				continue
			}
			e := out[key]
			e.n++
			if key != last {
				// The IR routes of a route are often next to one another:
				// its generation, once looked up, is not looked up again.
				e.gen = gens[key]
				last = key
			}
			out[key] = e
		}
	}
	return newRouteInputs(out)
}

// httpRouteCount is the number of IR routes of r's HTTP listeners.
func httpRouteCount(r *gatewayapi.Result) int {
	n := 0
	for _, f := range r.Fleets {
		if f != nil && f.Xds != nil {
			for _, l := range f.Xds.HTTP {
				n += len(l.Routes)
			}
		}
	}
	return n
}

// maxPatchedRoutes is the number of changed IR routes from which a fleet's
// HTTPRoute inputs are computed whole rather than patched.
const maxPatchedRoutes = 1024

// patchHTTPRoutes returns the HTTPRoute inputs of x's HTTP listeners when
// they can be patched from base, the inputs of the same fleet in an earlier
// result: x has base's HTTP listeners (by name, in order), and each
// listener's IR routes are base's but for a few replaced, inserted or
// removed ones (compared by pointer: see changed), as the resource
// translator gives after a route change. The IR routes that went are
// taken out of base's inputs, then those that came put in, with their
// generations from r's statuses, into inputs that share base's maps and
// hold the entries changed apart (see routeInputs). The other IR routes are the
// same pointers: the same route objects, of the same generations (the
// resource translator builds new IR routes for a new generation).
func patchHTTPRoutes(base *inputs, x *ir.Xds, keys *routeKeys, r *gatewayapi.Result) (*routeInputs, uint64, bool) {
	if base == nil || base.xds == nil || x == nil || len(base.xds.HTTP) != len(x.HTTP) {
		return nil, 0, false
	}
	if x == base.xds {
		return base.http, base.httpSum, true // inputs are never modified once made
	}
	var gone, came []*ir.HTTPRoute
	for i, l := range x.HTTP {
		old := base.xds.HTTP[i]
		if old.Name != l.Name {
			return nil, 0, false
		}
		o, c, ok := changed(old.Routes, l.Routes, maxPatchedRoutes-len(gone)-len(came))
		if gone, came = append(gone, o...), append(came, c...); !ok || len(gone)+len(came) > maxPatchedRoutes {
			return nil, 0, false
		}
	}
	if len(gone) == 0 && len(came) == 0 {
		return base.http, base.httpSum, true
	}
	// changes are the entries the patch touches, as they become: they
	// leave the sum as they were in base, and come back as they are.
	changes := make(map[string]routeInput, len(gone)+len(came))
	sum := base.httpSum
	for _, route := range slices.Concat(gone, came) {
		if e := keys.key(route); e.key != "" {
			if _, touched := changes[e.key]; !touched {
				in, _ := base.http.get(e.key)
				changes[e.key] = in
				if in.n > 0 {
					sum -= entryHash(e.key, in.gen)
				}
			}
		}
	}
	// Every IR route that went first, then every one that came: a route
	// whose IR routes were all replaced (a new generation) has no entry
	// left when its new ones come, and takes the new generation.
	for _, route := range gone {
		e := keys.key(route)
		if e.key == "" {
			continue
		}
		if in := changes[e.key]; in.n > 1 {
			in.n--
			changes[e.key] = in
		} else {
			changes[e.key] = routeInput{}
		}
	}
	cameSet := make(map[*ir.HTTPRoute]bool, len(came))
	for _, route := range came {
		cameSet[route] = true
		e := keys.key(route)
		if e.key == "" {
			continue
		}
		in := changes[e.key]
		if in.n == 0 {
			in.gen = httpRouteGeneration(r, e.route)
		}
		in.n++
		changes[e.key] = in
	}
	for k, in := range changes {
		if in.n > 0 {
			sum += entryHash(k, in.gen)
		}
	}
	for _, route := range gone {
		if !cameSet[route] {
			delete(keys.keys, route)
		}
	}
	return base.http.with(changes), sum, true
}

// maxMultisetRun is the longest run (old and new IR routes together)
// changed compares as multisets: a longer one (a route's IR routes
// inserted far apart, or a listener's IR routes all new, as after a full
// translation that built them again) is searched for a few edits rather
// than mapped.
const maxMultisetRun = 4096

// changed returns the IR routes of old that cur lacks and those of cur
// that old lacks (compared by pointer), giving up, with false, once they
// number more than limit. A route's IR routes are not next to one
// another (a listener's are in precedence order), so a change of one
// route replaces IR routes far apart: the lists are compared position by
// position between their common beginning and end when they have the same
// length, as a route changed in place leaves them, and otherwise (or when
// that finds too many) as multisets, which costs a map of the run (up to
// maxMultisetRun), or, in a longer run, by the fewest edits that turn
// one into the other (up to maxEdits).
func changed(old, cur []*ir.HTTPRoute, limit int) (gone, came []*ir.HTTPRoute, ok bool) {
	p, s := sliceends.Common(old, cur)
	o, c := old[p:len(old)-s], cur[p:len(cur)-s]
	if len(o) == len(c) {
		if gone, came, ok = changedInPlace(o, c, limit); ok {
			// A route moved among the replaced ones is in both.
			o, c = gone, came
		}
	}
	switch {
	case len(o)+len(c) <= 2:
		return o, c, len(o)+len(c) <= limit
	case len(o)+len(c) > maxMultisetRun:
		return edits(o, c, limit)
	}
	left := make(map[*ir.HTTPRoute]int, len(o))
	for _, route := range o {
		left[route]++
	}
	gone, came = nil, nil
	for _, route := range c {
		if left[route] > 0 {
			left[route]--
		} else if came = append(came, route); len(came) > limit {
			return nil, nil, false
		}
	}
	for _, route := range o {
		if left[route] > 0 {
			left[route]--
			if gone = append(gone, route); len(gone)+len(came) > limit {
				return nil, nil, false
			}
		}
	}
	return gone, came, true
}

// changedInPlace returns the elements of o and c (of the same length) at
// the positions where they differ, false when there are more than limit.
func changedInPlace(o, c []*ir.HTTPRoute, limit int) (gone, came []*ir.HTTPRoute, ok bool) {
	for i := range o {
		if o[i] != c[i] {
			if gone, came = append(gone, o[i]), append(came, c[i]); 2*len(gone) > limit {
				return nil, nil, false
			}
		}
	}
	return gone, came, true
}

// kindHTTPRoute is the kind of HTTPRoute inputs.
const kindHTTPRoute = "HTTPRoute"

// inputKey is the key of an object in inputs.
func inputKey(kind string, k gatewayapi.ObjectKey) string {
	return kind + " " + k.Namespace + "/" + k.Name
}

// otherGenerations returns the generation of every Gateway, ListenerSet
// and TLSRoute with a status in r, keyed like inputs: the
// observedGeneration of its conditions.
func otherGenerations(r *gatewayapi.Result) map[string]int64 {
	st := &r.Statuses
	out := make(map[string]int64, len(st.Gateways)+len(st.ListenerSets)+st.TLSRoutes.Len())
	for _, s := range st.Gateways {
		out["Gateway "+s.Namespace+"/"+s.Name] = maxGeneration(s.Status.Conditions)
	}
	for _, s := range st.ListenerSets {
		out["ListenerSet "+s.Namespace+"/"+s.Name] = maxGeneration(s.Status.Conditions)
	}
	for _, s := range st.TLSRoutes.All() {
		out["TLSRoute "+s.Namespace+"/"+s.Name] = routeGeneration(s)
	}
	return out
}

// httpRouteGenerations returns the generation of every HTTPRoute with a
// status in r, keyed like inputs.
func httpRouteGenerations(r *gatewayapi.Result) map[string]int64 {
	out := make(map[string]int64, r.Statuses.HTTPRoutes.Len())
	for _, s := range r.Statuses.HTTPRoutes.All() {
		out["HTTPRoute "+s.Namespace+"/"+s.Name] = routeGeneration(s)
	}
	return out
}

// httpRouteGeneration returns the generation of the HTTPRoute k in r's
// statuses (0 without a status).
func httpRouteGeneration(r *gatewayapi.Result, k gatewayapi.ObjectKey) int64 {
	for _, s := range r.Statuses.HTTPRoutes.All() {
		if s.ObjectKey == k {
			return routeGeneration(s)
		}
	}
	return 0
}

// routeGeneration is the generation of a route's status: the largest
// observedGeneration of its parents' conditions.
func routeGeneration(s gatewayapi.RouteStatus) int64 {
	var g int64
	for _, p := range s.Parents {
		g = max(g, maxGeneration(p.Conditions))
	}
	return g
}

func maxGeneration(conds []metav1.Condition) int64 {
	var g int64
	for _, c := range conds {
		g = max(g, c.ObservedGeneration)
	}
	return g
}

// objectKey parses "<namespace>/<name>".
func objectKey(s string) gatewayapi.ObjectKey {
	ns, name, _ := strings.Cut(s, "/")
	return gatewayapi.ObjectKey{Namespace: ns, Name: name}
}

// routeOf returns the route an IR route name comes from:
// "httproute/<ns>/<name>/..." or "tlsroute/<ns>/<name>/...".
func routeOf(name string) (kind string, k gatewayapi.ObjectKey, ok bool) {
	parts := strings.SplitN(name, "/", 4)
	if len(parts) < 3 {
		return "", k, false
	}
	switch parts[0] {
	case "httproute":
		kind = kindHTTPRoute
	case "tlsroute":
		kind = "TLSRoute"
	default:
		return "", k, false
	}
	return kind, gatewayapi.ObjectKey{Namespace: parts[1], Name: parts[2]}, true
}

func listenerNames(x *ir.Xds) []string {
	if x == nil {
		return nil
	}
	var out []string
	for _, l := range x.HTTP {
		out = append(out, l.Name)
	}
	for _, l := range x.TLS {
		out = append(out, l.Name)
	}
	return out
}

// tlsRouteNames returns the names of the IR routes of x's TLS listeners.
func tlsRouteNames(x *ir.Xds) []string {
	if x == nil {
		return nil
	}
	var out []string
	for _, l := range x.TLS {
		for _, r := range l.Routes {
			out = append(out, r.Name)
		}
	}
	return out
}
