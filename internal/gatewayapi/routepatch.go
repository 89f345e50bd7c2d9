package gatewayapi

import (
	"maps"
	"slices"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/chunked"
	"github.com/envoygw/envoy-gateway/internal/sliceends"
)

// lastCall is what a Translator keeps of its last call for patchRoutes:
// the input, the model it built (kept up to date by patches) and the
// result.
type lastCall struct {
	res *Resources
	t   *translator
	out *Result
}

// patchable reports whether the last call's model can be patched by
// HTTPRoute changes alone: every HTTPRoute of the input is in the model
// at its index (no nil and no repeated route was left out), no GRPCRoute
// can conflict with an HTTPRoute (resolveRouteKindConflicts) and no
// BackendTLSPolicy takes its ancestors from the clusters routes use.
func (c *lastCall) patchable() bool {
	return len(c.t.httpRoutes) == len(c.res.HTTPRoutes) && len(c.t.grpcRoutes) == 0 &&
		len(c.t.tlsPoliciesByTarget) == 0 && len(c.t.tlsPolicies) == 0
}

// routeSpan is one place where the HTTPRoutes of two snapshots differ: at
// index at of the old list, the routes removed give way to those added.
type routeSpan struct {
	at             int
	removed, added []*gwapiv1.HTTPRoute
}

// maxPatchedRoutes bounds the routes a patch removes and adds: past it a
// full translation is as cheap, and simpler to reason about.
const maxPatchedRoutes = 256

// routeSpans returns where next differs from prev, false when the
// difference is too large to patch. Lists of equal length are compared
// index by index (routes changed in place, as providers replace them);
// others by their common prefix and suffix (a route added or removed).
func routeSpans(prev, next []*gwapiv1.HTTPRoute) ([]routeSpan, bool) {
	if len(prev) == len(next) {
		var out []routeSpan
		for i := range prev {
			if prev[i] != next[i] {
				if len(out) == maxPatchedRoutes/2 {
					return nil, false
				}
				out = append(out, routeSpan{at: i, removed: prev[i : i+1], added: next[i : i+1]})
			}
		}
		return out, true
	}
	p, s := sliceends.Common(prev, next)
	span := routeSpan{at: p, removed: prev[p : len(prev)-s], added: next[p : len(next)-s]}
	if len(span.removed)+len(span.added) > maxPatchedRoutes {
		return nil, false
	}
	return []routeSpan{span}, true
}

// sameButHTTPRoutes reports whether two snapshots hold the same objects of
// every kind Translate reads but HTTPRoutes (EndpointSlices are not read).
func sameButHTTPRoutes(a, b *Resources) bool {
	return slices.Equal(a.GatewayClasses, b.GatewayClasses) && slices.Equal(a.Gateways, b.Gateways) &&
		slices.Equal(a.ListenerSets, b.ListenerSets) && slices.Equal(a.GRPCRoutes, b.GRPCRoutes) &&
		slices.Equal(a.TLSRoutes, b.TLSRoutes) && slices.Equal(a.TCPRoutes, b.TCPRoutes) &&
		slices.Equal(a.ReferenceGrants, b.ReferenceGrants) && slices.Equal(a.Namespaces, b.Namespaces) &&
		slices.Equal(a.Services, b.Services) && slices.Equal(a.Secrets, b.Secrets) &&
		slices.Equal(a.ConfigMaps, b.ConfigMaps) && slices.Equal(a.BackendTLSPolicies, b.BackendTLSPolicies) &&
		slices.Equal(a.EnvoyProxies, b.EnvoyProxies) && slices.Equal(a.RateLimitFilters, b.RateLimitFilters) &&
		maps.EqualFunc(a.InfraStates, b.InfraStates, func(x, y bus.InfraState) bool {
			return x.Ready == y.Ready && slices.Equal(x.Addresses, y.Addresses)
		})
}

// patchRoutes translates res by patching the last call's model when res
// differs from the last input in a few HTTPRoutes only: the routes that
// went are detached from their listeners, those that came are built (from
// the memo when it has them) and attached, and the fleets' IR and the
// statuses that routes change are made again. Everything else of the last
// call stands: Gateways, listeners, other routes and their statuses. The
// result is Translate's (TestTranslatorTranslatesAsTranslate). It returns
// false, having changed nothing, when res cannot be patched so; the caller
// then translates in full.
//
// lastRoutes are the last call's HTTPRoutes, those rekeyRoutes took over
// replaced by their new objects.
func (tr *Translator) patchRoutes(res *Resources, lastRoutes []*gwapiv1.HTTPRoute) (*Result, bool) {
	last := tr.last
	if last == nil || res == nil || !last.patchable() || !sameButHTTPRoutes(last.res, res) {
		return nil, false
	}
	spans, ok := routeSpans(lastRoutes, res.HTTPRoutes)
	if !ok || !tr.patchKeysUnique(spans) {
		return nil, false
	}
	t := last.t
	var gone []*httpRouteModel
	for _, s := range spans {
		for i, obj := range s.removed {
			m := t.httpRoutes[s.at+i]
			if m.memo == nil || tr.http[obj] != m.memo {
				return nil, false // the model is not this route's: never so
			}
			gone = append(gone, m)
		}
	}
	t.detachRoutes(gone)
	for _, m := range gone {
		delete(t.routeSeen, routeKey{kind: kindHTTPRoute, namespace: m.meta.meta.Namespace, name: m.meta.meta.Name})
	}
	for _, s := range spans {
		for _, obj := range s.removed {
			delete(tr.http, obj)
		}
	}
	// The route list: the last one with each span's routes replaced.
	routes := make([]*httpRouteModel, 0, len(res.HTTPRoutes))
	var came []*httpRouteModel
	next := 0
	for _, s := range spans {
		routes = append(routes, t.httpRoutes[next:s.at]...)
		for _, obj := range s.added {
			t.seenRoute(kindHTTPRoute, obj.Namespace, obj.Name)
			m := t.httpRoute(obj)
			t.checkBuiltRules()
			t.attachHTTPRoute(m)
			t.emitAttached(m)
			routes = append(routes, m)
			came = append(came, m)
		}
		next = s.at + len(s.removed)
	}
	t.httpRoutes = append(routes, t.httpRoutes[next:]...)
	t.idx.in = res

	out := &Result{FrozenGatewayClasses: last.out.FrozenGatewayClasses, Statuses: last.out.Statuses}
	for _, f := range t.fleets {
		out.Fleets = append(out.Fleets, t.buildIR(f))
	}
	out.Statuses.Gateways = t.gatewayStatuses()
	out.Statuses.ListenerSets = t.listenerSetStatuses()
	out.Statuses.HTTPRoutes = t.patchedRouteStatuses(last.out.Statuses.HTTPRoutes, gone, came)
	tr.last = &lastCall{res: res, t: t, out: out}
	return out, true
}

// patchKeysUnique reports whether the routes spans add have keys unique
// in the snapshot once the routes they remove are gone: a repeated route
// is one Translate leaves out, which only a full translation decides.
func (tr *Translator) patchKeysUnique(spans []routeSpan) bool {
	removed := map[routeKey]bool{}
	for _, s := range spans {
		for _, obj := range s.removed {
			removed[routeKey{kind: kindHTTPRoute, namespace: obj.Namespace, name: obj.Name}] = true
		}
	}
	added := map[routeKey]bool{}
	for _, s := range spans {
		for _, obj := range s.added {
			if obj == nil {
				return false
			}
			k := routeKey{kind: kindHTTPRoute, namespace: obj.Namespace, name: obj.Name}
			if added[k] || tr.last.t.routeSeen[k] && !removed[k] {
				return false
			}
			added[k] = true
		}
	}
	return true
}

// detachRoutes undoes what emitAttached did for routes: their listeners
// count them no more and lose the IR routes they emitted. A listener's
// entries are a new slice (the memo's ordered listener holds the old one).
func (t *translator) detachRoutes(routes []*httpRouteModel) {
	drop := map[*emittedRoutes]bool{}
	var listeners []*listenerModel
	for _, m := range routes {
		for _, e := range m.memo.emitted {
			drop[e] = true
		}
		for _, lh := range m.attached {
			lh.listener.attachedRoutes--
			if !slices.Contains(listeners, lh.listener) {
				listeners = append(listeners, lh.listener)
			}
		}
	}
	for _, l := range listeners {
		kept := make([]*emittedRoutes, 0, len(l.httpEntries))
		for _, e := range l.httpEntries {
			if !drop[e] {
				kept = append(kept, e)
			}
		}
		l.httpEntries = kept
	}
}

// patchedRouteStatuses returns prev (sorted by namespace and name) without
// the statuses of the routes gone and with those of the routes that came,
// in order: a list sharing prev's chunks but those edited. prev is not
// modified.
func (t *translator) patchedRouteStatuses(prev RouteStatuses, gone, came []*httpRouteModel) RouteStatuses {
	out := prev
	for _, m := range gone {
		if i, found := chunked.BinarySearchFunc(out, routeStatusKey(m), compareRouteStatus); found {
			out = out.Replace(i, i+1)
		}
	}
	for _, m := range came {
		rs := t.httpRouteStatus(m)
		i, found := chunked.BinarySearchFunc(out, rs, compareRouteStatus)
		end := i
		if found {
			end = i + 1 // never so: keys are unique (patchKeysUnique)
		}
		out = out.Replace(i, end, rs)
	}
	return out
}

// routeStatusKey is a status holding only the key of a route, to search.
func routeStatusKey(m *httpRouteModel) RouteStatus {
	return RouteStatus{ObjectKey: ObjectKey{Namespace: m.meta.meta.Namespace, Name: m.meta.meta.Name}}
}
