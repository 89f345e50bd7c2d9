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

// indexResult computes the inputs of every fleet of r.
func indexResult(r *gatewayapi.Result) *fleetIndex {
	idx := &fleetIndex{
		inputs:       map[string]inputs{},
		gateways:     map[gatewayapi.ObjectKey]string{},
		listenerSets: map[gatewayapi.ObjectKey]string{},
	}
	if r == nil {
		return idx
	}
	gens := generations(r)
	for _, f := range r.Fleets {
		if f == nil {
			continue
		}
		in := inputs{}
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
		for _, name := range routeNames(f.Xds) {
			if kind, k, ok := routeOf(name); ok {
				in.add(kind, k, gens)
			}
		}
		idx.inputs[f.Name] = in
	}
	return idx
}

func (in inputs) add(kind string, k gatewayapi.ObjectKey, gens map[string]int64) {
	key := kind + " " + k.Namespace + "/" + k.Name
	in[key] = gens[key]
}

func (in inputs) equal(other inputs) bool { return maps.Equal(in, other) }

// generations returns the generation of every object with a status in r,
// keyed like inputs: the observedGeneration of its conditions.
func generations(r *gatewayapi.Result) map[string]int64 {
	out := map[string]int64{}
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

func routeNames(x *ir.Xds) []string {
	if x == nil {
		return nil
	}
	var out []string
	for _, l := range x.HTTP {
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
