package gatewayapi

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// l4RouteModel is one TCPRoute or UDPRoute: a route without hostnames or
// matches whose single rule forwards whole connections (or datagram
// sessions) to weighted backends.
type l4RouteModel struct {
	meta       routeMeta
	parentRefs []gwapiv1.ParentReference
	// name is the IR route name: "<kind lower-case>/<namespace>/<name>".
	name        string
	destination *ir.Destination
	acceptErr   *routeError
	refErr      *routeError
	parents     []*parentAttachment
}

// l4RouteInput is what building an l4RouteModel reads from a route object.
type l4RouteInput struct {
	kind       string
	meta       *metav1.ObjectMeta
	parentRefs []gwapiv1.ParentReference
	// rules are the backendRefs of each rule.
	rules [][]gwapiv1.BackendRef
}

// orderedL4Route is an L4 route waiting for its listener to be built.
type orderedL4Route struct {
	created time.Time
	route   *l4RouteModel
}

// buildL4Route validates the route and resolves the backends of its rule.
// The API allows exactly one rule; any other count rejects the route.
func (t *translator) buildL4Route(in l4RouteInput) *l4RouteModel {
	m := &l4RouteModel{
		meta:       routeMeta{kind: in.kind, meta: in.meta},
		parentRefs: in.parentRefs,
		name:       l4RouteName(in.kind, in.meta.Namespace, in.meta.Name),
	}
	if len(in.rules) != 1 {
		m.acceptErr = unsupportedAt(specPath.Child("rules"), "a %s must have exactly one rule, not %d", in.kind, len(in.rules))
		return m
	}
	from := backendFrom{kind: in.kind, namespace: in.meta.Namespace}
	path := specPath.Child("rules").Index(0).Child("backendRefs")
	var refErrs routeErrors
	m.destination, refErrs, m.acceptErr = t.buildL4Destination(from, path, in.rules[0])
	m.refErr = refErrs.join()
	return m
}

// l4RouteName is the IR name of a TCPRoute or UDPRoute.
func l4RouteName(kind, namespace, name string) string {
	prefix := "tcproute/"
	if kind == kindUDPRoute {
		prefix = "udproute/"
	}
	return prefix + namespace + "/" + name
}

// buildL4Destination resolves the backendRefs of a TLS, TCP or UDP rule
// (path is their field path). Connections for invalid backends, or when
// there is no valid backend at all, are rejected in proportion to weight.
// The routeErrors holds the backends' ResolvedRefs problems; the reasonError
// rejects the rule.
func (t *translator) buildL4Destination(from backendFrom, path fieldPath, refs []gwapiv1.BackendRef) (*ir.Destination, routeErrors, *routeError) {
	var refErrs routeErrors
	var backends []weightedBackend
	for j := range refs {
		ref := &refs[j]
		w, ok := backendWeight(ref.Weight)
		if !ok {
			return nil, refErrs, unsupportedAt(path.Index(j).Child("weight"), "backendRef weight %d is negative", *ref.Weight)
		}
		cluster, err := t.resolveBackend(from, &ref.BackendObjectReference)
		refErrs.add(err)
		backends = append(backends, weightedBackend{cluster: cluster, weight: w, err: err})
	}
	if err := checkTotalWeight(path, backends); err != nil {
		return nil, refErrs, err
	}
	if d := destination(backends); d != nil {
		return d, refErrs, nil
	}
	invalid := uint32(0)
	for _, b := range backends {
		if b.err != nil {
			invalid += b.weight
		}
	}
	return &ir.Destination{InvalidWeight: max(invalid, 1)}, refErrs, nil
}

// attachL4Route resolves the route's parents and queues it on every
// programmed listener it attaches to. Routes have no hostnames, so every
// attachment is for the whole listener.
func (t *translator) attachL4Route(m *l4RouteModel) {
	m.parents = t.attachParents(m.meta, normalizeParentRefs(m.parentRefs, m.meta.meta.Namespace), m.acceptErr, nil)
	for _, lh := range attachedListeners(m.parents, nil) {
		if lh.listener.programmable() {
			lh.listener.l4Routes = append(lh.listener.l4Routes, orderedL4Route{created: m.meta.meta.CreationTimestamp.Time, route: m})
		}
	}
}

// oldestL4Route is the route a TCP or UDP listener forwards with: several
// routes may attach (each is accepted and counted), but a listener cannot
// tell their connections apart, so the oldest route (then namespace/name)
// wins, as Gateway API conflict resolution says. Nil when none is attached.
func oldestL4Route(l *listenerModel) *ir.L4Route {
	var best *orderedL4Route
	for i := range l.l4Routes {
		r := &l.l4Routes[i]
		if best == nil || r.created.Before(best.created) ||
			(r.created.Equal(best.created) && r.route.name < best.route.name) {
			best = r
		}
	}
	if best == nil {
		return nil
	}
	return &ir.L4Route{Name: best.route.name, Destination: best.route.destination}
}

// l4RouteStatuses are the statuses of TCPRoutes or UDPRoutes.
func (t *translator) l4RouteStatuses(routes []*l4RouteModel) []RouteStatus {
	out := make([]RouteStatus, 0, len(routes))
	for _, m := range routes {
		out = append(out, t.routeStatus(*m.meta.meta, m.parents, m.refErr, nil))
	}
	return t.sortedRouteStatuses(kindTCPRoute, out)
}
