package gatewayapi

import (
	"cmp"
	"slices"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeReasonConflicted is the Accepted reason of a route that loses a
// hostname conflict with a route of the other kind (HTTPRoute against
// GRPCRoute) on a listener. Gateway API names no reason for it.
const routeReasonConflicted gwapiv1.RouteConditionReason = "Conflicted"

// kindClaim is an accepted route of one kind serving hostnames on a listener.
type kindClaim struct {
	kind      string
	route     string
	hostnames []string
}

// resolveRouteKindConflicts applies Gateway API's rule for HTTPRoutes and
// GRPCRoutes attached to one listener: when their hostnames intersect, only
// one is accepted, the oldest, then the first by "<namespace>/<name>". The
// other is not accepted by that parent. Routes are taken oldest first, so
// each is checked against the routes of the other kind that already won.
func (t *translator) resolveRouteKindConflicts() {
	if len(t.grpcRoutes) == 0 || len(t.httpRoutes) == 0 {
		return
	}
	all := append(append([]*httpRouteModel(nil), t.httpRoutes...), t.grpcRoutes...)
	slices.SortStableFunc(all, func(a, b *httpRouteModel) int {
		if c := cmp.Compare(a.created, b.created); c != 0 {
			return c
		}
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.meta.kind, b.meta.kind)
	})
	claims := map[*listenerModel][]kindClaim{}
	for _, m := range all {
		for _, p := range m.parents {
			if p.err != nil {
				continue
			}
			if winner := conflictingClaim(claims, m, p); winner != nil {
				p.err = errorf(routeReasonConflicted, "%s %s has hostnames in common with it on a listener of this parent and takes precedence",
					winner.kind, winner.route)
				continue
			}
			for _, lh := range p.listeners {
				claims[lh.listener] = append(claims[lh.listener], kindClaim{kind: m.meta.kind, route: m.key, hostnames: lh.hostnames})
			}
		}
	}
}

// conflictingClaim returns an accepted route of the other kind that shares
// a hostname with route m on a listener of parent p, or nil.
func conflictingClaim(claims map[*listenerModel][]kindClaim, m *httpRouteModel, p *parentAttachment) *kindClaim {
	for _, lh := range p.listeners {
		for i, c := range claims[lh.listener] {
			if c.kind != m.meta.kind && hostnamesIntersect(c.hostnames, lh.hostnames) {
				return &claims[lh.listener][i]
			}
		}
	}
	return nil
}

// hostnamesIntersect reports whether two hostname lists of routes on one
// listener share a request host ("" means any host the listener takes).
func hostnamesIntersect(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if hostnameCovers(x, y) || hostnameCovers(y, x) {
				return true
			}
		}
	}
	return false
}
