package applied

import (
	"maps"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// inputs are the objects a fleet's configuration is built from, with their
// generations, keyed "<Kind> <namespace>/<name>": its Gateways, the
// ListenerSets and routes that contribute listeners and routes. Two results
// whose fleet has equal inputs give that fleet the same configuration (up to
// endpoints and Secrets, which have no generation in status).
type inputs map[string]int64

// fleetIndex holds, for one result, the inputs of each fleet and the fleet
// of each Gateway and ListenerSet.
type fleetIndex struct {
	inputs       map[string]inputs
	gateways     map[gatewayapi.ObjectKey]string
	listenerSets map[gatewayapi.ObjectKey]string
}

// routeKeys remembers the inputs key of each IR HTTP route ("HTTPRoute
// <namespace>/<name>", from its name) of the results indexed last: the
// resource translator keeps the IR routes of unchanged routes from result
// to result, so a new result costs a lookup per IR route, not parsing
// 40,000 names at 10,000 routes. Not safe for concurrent use.
type routeKeys struct {
	gen  uint64
	keys map[*ir.HTTPRoute]*routeKey
	// sizes are the numbers of inputs of each fleet when last indexed.
	sizes map[string]int
}

// size returns the number of inputs fleet had when last indexed (0 for a
// nil c or a fleet not indexed yet).
func (c *routeKeys) size(fleet string) int {
	if c == nil {
		return 0
	}
	return c.sizes[fleet]
}

// setSize records the number of inputs of fleet; a nil c records nothing.
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
// route) and the last index that used it.
type routeKey struct {
	gen uint64
	key string
}

// key returns the inputs key of r, "" when its name names no route.
func (c *routeKeys) key(r *ir.HTTPRoute) string {
	e := c.keys[r]
	if e == nil {
		e = &routeKey{}
		if kind, k, named := routeOf(r.Name); named {
			e.key = inputKey(kind, k)
		}
		c.keys[r] = e
	}
	e.gen = c.gen
	return e.key
}

// sweep drops the keys of the IR routes the last index did not use.
func (c *routeKeys) sweep() {
	for r, e := range c.keys {
		if e.gen != c.gen {
			delete(c.keys, r)
		}
	}
}

// indexResult computes the inputs of every fleet of r; keys, when not nil,
// gives the keys of IR routes seen before and keeps those of r's.
func indexResult(r *gatewayapi.Result, keys *routeKeys) *fleetIndex {
	idx := &fleetIndex{
		inputs:       map[string]inputs{},
		gateways:     map[gatewayapi.ObjectKey]string{},
		listenerSets: map[gatewayapi.ObjectKey]string{},
	}
	if r == nil {
		return idx
	}
	gens := generations(r)
	if keys != nil {
		keys.gen++
		defer keys.sweep()
	}
	for _, f := range r.Fleets {
		if f == nil {
			continue
		}
		// Sized as the fleet's inputs were last time: no growing the map
		// one route at a time.
		in := make(inputs, keys.size(f.Name))
		if f.Infra != nil && f.Infra.Proxy != nil {
			for _, gw := range f.Infra.Proxy.Gateways {
				k := objectKey(gw)
				idx.gateways[k] = f.Name
				in.add("Gateway", k, gens)
			}
		}
		for _, name := range listenerNames(f.Xds) {
			if parts := strings.Split(name, "/"); len(parts) == 5 {
				k := gatewayapi.ObjectKey{Namespace: parts[2], Name: parts[3]}
				idx.listenerSets[k] = f.Name
				in.add("ListenerSet", k, gens)
			}
		}
		if keys != nil && f.Xds != nil {
			for _, l := range f.Xds.HTTP {
				last := ""
				for _, route := range l.Routes {
					// The IR routes of a route are often next to one
					// another: its key, once added, is not added again.
					if key := keys.key(route); key != "" && key != last {
						in[key] = gens[key]
						last = key
					}
				}
			}
		}
		for _, name := range routeNames(f.Xds, keys == nil) {
			if kind, k, ok := routeOf(name); ok {
				in.add(kind, k, gens)
			}
		}
		idx.inputs[f.Name] = in
		keys.setSize(f.Name, len(in))
	}
	if keys != nil {
		for fleet := range keys.sizes {
			if _, ok := idx.inputs[fleet]; !ok {
				delete(keys.sizes, fleet)
			}
		}
	}
	return idx
}

func (in inputs) add(kind string, k gatewayapi.ObjectKey, gens map[string]int64) {
	key := inputKey(kind, k)
	in[key] = gens[key]
}

// inputKey is the key of an object in inputs.
func inputKey(kind string, k gatewayapi.ObjectKey) string {
	return kind + " " + k.Namespace + "/" + k.Name
}

func (in inputs) equal(other inputs) bool { return maps.Equal(in, other) }

// generations returns the generation of every object with a status in r,
// keyed like inputs: the observedGeneration of its conditions.
func generations(r *gatewayapi.Result) map[string]int64 {
	st := &r.Statuses
	out := make(map[string]int64, len(st.Gateways)+len(st.ListenerSets)+len(st.HTTPRoutes)+len(st.TLSRoutes))
	for _, s := range r.Statuses.Gateways {
		out["Gateway "+s.Namespace+"/"+s.Name] = maxGeneration(s.Status.Conditions)
	}
	for _, s := range r.Statuses.ListenerSets {
		out["ListenerSet "+s.Namespace+"/"+s.Name] = maxGeneration(s.Status.Conditions)
	}
	for kind, routes := range map[string][]gatewayapi.RouteStatus{
		"HTTPRoute": r.Statuses.HTTPRoutes, "TLSRoute": r.Statuses.TLSRoutes,
	} {
		for _, s := range routes {
			var g int64
			for _, p := range s.Parents {
				g = max(g, maxGeneration(p.Conditions))
			}
			out[kind+" "+s.Namespace+"/"+s.Name] = g
		}
	}
	return out
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
		kind = "HTTPRoute"
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

// routeNames returns the names of the IR routes of x: those of its TLS
// listeners, and with http those of its HTTP listeners.
func routeNames(x *ir.Xds, http bool) []string {
	if x == nil {
		return nil
	}
	var out []string
	for _, l := range x.HTTP {
		if !http {
			break
		}
		for _, r := range l.Routes {
			out = append(out, r.Name)
		}
	}
	for _, l := range x.TLS {
		for _, r := range l.Routes {
			out = append(out, r.Name)
		}
	}
	return out
}
