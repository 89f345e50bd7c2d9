package gatewayapi

import (
	"cmp"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/chunked"
)

// statuses turns the model into the status of every object: this is the one
// place where errors become conditions.
func (t *translator) statuses() Statuses {
	return Statuses{
		GatewayClasses: t.gatewayClassStatuses(),
		Gateways:       t.gatewayStatuses(),
		ListenerSets:   t.listenerSetStatuses(),
		HTTPRoutes:     chunked.Of(t.httpRouteStatuses(kindHTTPRoute, t.httpRoutes)),
		GRPCRoutes:     chunked.Of(t.httpRouteStatuses(kindGRPCRoute, t.grpcRoutes)),
		TLSRoutes:      chunked.Of(t.tlsRouteStatuses()),
		TCPRoutes:      chunked.Of(t.l4RouteStatuses(t.tcpRoutes)),
		EnvoyProxies:   t.envoyProxyStatuses(),

		BackendTLSPolicies: t.backendTLSPolicyStatuses(),
	}
}

func (t *translator) gatewayClassStatuses() []GatewayClassStatus {
	out := make([]GatewayClassStatus, 0, len(t.classOrder))
	for _, c := range t.classOrder {
		out = append(out, GatewayClassStatus{
			ObjectKey: ObjectKey{Name: c.obj.Name},
			Status: gwapiv1.GatewayClassStatus{
				Conditions:        []metav1.Condition{gatewayClassAcceptedCondition(c.err, c.obj.Generation)},
				SupportedFeatures: supportedFeatures(),
			},
		})
	}
	return out
}

func (t *translator) envoyProxyStatuses() []EnvoyProxyStatus {
	proxies := t.sortedEnvoyProxies()
	out := make([]EnvoyProxyStatus, 0, len(proxies))
	for _, m := range proxies {
		out = append(out, EnvoyProxyStatus{
			ObjectKey: ObjectKey{Namespace: m.obj.Namespace, Name: m.obj.Name},
			Status: egv1a1.EnvoyProxyStatus{
				Conditions: []metav1.Condition{envoyProxyAcceptedCondition(m.err, m.obj.Generation)},
			},
		})
	}
	return out
}

func (t *translator) gatewayStatuses() []GatewayStatus {
	gws := append([]*gatewayModel(nil), t.gateways...)
	sortBy(gws, func(a, b *gatewayModel) bool {
		return lessKey(a.key.Namespace, a.key.Name, b.key.Namespace, b.key.Name)
	})
	out := make([]GatewayStatus, 0, len(gws))
	for _, g := range gws {
		gen := g.obj.Generation
		st := gwapiv1.GatewayStatus{
			Conditions: []metav1.Condition{
				gatewayAcceptedCondition(g.acceptErr, g.partialMessage(), gen),
			},
			AttachedListenerSets: g.attachedListenerSets(),
		}
		var fleet string
		if g.accepted() {
			fleet = g.fleet.name
			st.Addresses = t.gatewayAddresses(g)
		}
		st.Conditions = append(st.Conditions, gatewayProgrammedCondition(t.gatewayProgrammedError(g), fleet, gen))
		if insecureFrontendValidation(g.obj) {
			st.Conditions = append(st.Conditions, gatewayInsecureFrontendCondition(gen))
		}
		if backendClientCertificateRef(g.obj) != nil {
			st.Conditions = append(st.Conditions, gatewayResolvedRefsCondition(g.gatewayResolvedRefsError(), gen))
		}
		for _, l := range g.listeners {
			st.Listeners = append(st.Listeners, listenerStatus(l, gen))
		}
		out = append(out, GatewayStatus{ObjectKey: ObjectKey{Namespace: g.key.Namespace, Name: g.key.Name}, Status: st})
	}
	return out
}

func listenerStatus(l *listenerModel, gen int64) gwapiv1.ListenerStatus {
	st := gwapiv1.ListenerStatus{
		Name:           gwapiv1.SectionName(l.name),
		SupportedKinds: append([]gwapiv1.RouteGroupKind{}, l.supportedKinds...),
		AttachedRoutes: l.attachedRoutes,
		Conditions: []metav1.Condition{
			listenerAcceptedCondition(l.acceptErr, gen),
			listenerProgrammedCondition(l.programmedError(), gen),
			listenerResolvedRefsCondition(l.refErrs.join(), gen),
			listenerConflictedCondition(l.conflictErr, gen),
		},
	}
	if l.overlapErr != nil {
		st.Conditions = append(st.Conditions, listenerOverlappingTLSCondition(l.overlapErr, gen))
	}
	return st
}

func (t *translator) listenerSetStatuses() []ListenerSetStatus {
	out := make([]ListenerSetStatus, 0, len(t.listenerSets))
	for _, s := range t.listenerSets {
		gen := s.obj.Generation
		st := gwapiv1.ListenerSetStatus{Conditions: []metav1.Condition{
			listenerSetAcceptedCondition(s.acceptErr, s.partialMessage(), gen),
			listenerSetProgrammedCondition(t.listenerSetProgrammedError(s), gen),
		}}
		for _, l := range s.listeners {
			st.Listeners = append(st.Listeners, gwapiv1.ListenerEntryStatus(listenerStatus(l, gen)))
		}
		out = append(out, ListenerSetStatus{ObjectKey: ObjectKey{Namespace: s.key.Namespace, Name: s.key.Name}, Status: st})
	}
	sortBy(out, func(a, b ListenerSetStatus) bool { return lessKey(a.Namespace, a.Name, b.Namespace, b.Name) })
	return out
}

// listenerSetProgrammedError says why a ListenerSet is not programmed: it
// is not accepted (same reason), or its Gateway is not programmed: Pending
// (Unknown) while the Gateway's infrastructure is pending,
// ParentNotProgrammed when the Gateway is known not to be programmed.
func (t *translator) listenerSetProgrammedError(s *listenerSetModel) *listenerSetError {
	if s.acceptErr != nil {
		return s.acceptErr
	}
	err := t.gatewayProgrammedError(s.gateway)
	switch {
	case err == nil:
		return nil
	case err.reason == gwapiv1.GatewayReasonPending:
		return errorf(gwapiv1.ListenerSetReasonPending, "Gateway %s is not programmed yet: %s", s.gateway.key, err.msg)
	}
	return errorf(listenerSetReasonParentNotProgrammed, "Gateway %s is not programmed: %s", s.gateway.key, err.msg)
}

// httpRouteStatuses returns the statuses of HTTPRoutes or GRPCRoutes (their
// models have the same shape).
func (t *translator) httpRouteStatuses(kind string, routes []*httpRouteModel) []RouteStatus {
	out := make([]RouteStatus, 0, len(routes))
	for _, m := range routes {
		out = append(out, t.httpRouteStatus(m))
	}
	return t.sortedRouteStatuses(kind, out)
}

// httpRouteStatus is the status of an HTTPRoute or GRPCRoute: with a
// memo, the one computed last when its parents have the same outcomes (the
// rest of what it reads is the memoized route's), so that an unchanged
// route's status is not built again. Statuses are never modified once
// returned.
func (t *translator) httpRouteStatus(m *httpRouteModel) RouteStatus {
	memo := m.memo
	if memo != nil && memo.status != nil && sameOutcomes(memo.statusFrom, m.parents) {
		return *memo.status
	}
	rs := t.routeStatus(*m.meta.meta, m.parents, m.refErr, m.partialErr)
	if memo != nil {
		memo.status, memo.statusFrom = &rs, outcomesOf(m.parents)
	}
	return rs
}

func (t *translator) tlsRouteStatuses() []RouteStatus {
	out := make([]RouteStatus, 0, len(t.tlsRoutes))
	for _, m := range t.tlsRoutes {
		out = append(out, t.routeStatus(m.obj.ObjectMeta, m.parents, m.refErr, nil))
	}
	return t.sortedRouteStatuses(kindTLSRoute, out)
}

// routeStatus builds the parent entries of a route for our parents. Every
// route gets an entry, with no parents when none are ours, so that the status
// writer can remove entries of ours that no longer apply.
func (t *translator) routeStatus(meta metav1.ObjectMeta, parents []*parentAttachment, refErr, partialErr *routeError) RouteStatus {
	rs := RouteStatus{ObjectKey: ObjectKey{Namespace: meta.Namespace, Name: meta.Name}, Parents: []gwapiv1.RouteParentStatus{}}
	for _, p := range parents {
		rs.Parents = append(rs.Parents, gwapiv1.RouteParentStatus{
			ParentRef:      p.ref,
			ControllerName: gwapiv1.GatewayController(t.controllerName),
			Conditions:     t.routeConditions(p.err, refErr, partialErr, meta.Generation),
		})
	}
	return rs
}

// maxAcceptedConditions bounds the generations whose accepted conditions
// the memo keeps.
const maxAcceptedConditions = 1024

// routeConditions are the conditions of a route's parent entry. Those of
// a route accepted with every reference resolved, the same for every such
// route of a generation, are one slice (the memo's, when there is one),
// never modified: at 10,000 routes, 2 MB held once.
func (t *translator) routeConditions(parentErr, refErr, partialErr *routeError, generation int64) []metav1.Condition {
	accepted := parentErr == nil && refErr == nil && partialErr == nil && t.memo != nil
	if accepted {
		if c, ok := t.memo.acceptedConditions[generation]; ok {
			return c
		}
	}
	conds := []metav1.Condition{
		routeAcceptedCondition(parentErr, generation),
		routeResolvedRefsCondition(refErr, generation),
	}
	if parentErr == nil && partialErr != nil {
		conds = append(conds, routePartiallyInvalidCondition(partialErr, generation))
	}
	if accepted && len(t.memo.acceptedConditions) < maxAcceptedConditions {
		t.memo.acceptedConditions[generation] = slices.Clip(conds)
	}
	return conds
}

// sortedRouteStatuses returns the statuses of routes of one kind sorted by
// namespace and name. Routes come in the same order from one translation
// to the next, so the order the memo remembers of the previous call is
// tried first: checking it costs one comparison per route, where sorting
// ten thousand statuses cost milliseconds on every translation.
func (t *translator) sortedRouteStatuses(kind string, s []RouteStatus) []RouteStatus {
	if t.memo == nil {
		slices.SortFunc(s, compareRouteStatus)
		return s
	}
	if order := t.memo.statusOrder[kind]; len(order) == len(s) {
		out := permute(s, order)
		if slices.IsSortedFunc(out, compareRouteStatus) {
			return out
		}
	}
	order := make([]int, len(s))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compareRouteStatus(s[a], s[b]) })
	t.memo.statusOrder[kind] = order
	return permute(s, order)
}

// permute returns s in the order of the indexes in order.
func permute[T any](s []T, order []int) []T {
	out := make([]T, len(s))
	for i, j := range order {
		out[i] = s[j]
	}
	return out
}

func compareRouteStatus(a, b RouteStatus) int {
	return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
}

func lessKey(nsA, nameA, nsB, nameB string) bool {
	if nsA != nsB {
		return nsA < nsB
	}
	return nameA < nameB
}
