package gatewayapi

import (
	"fmt"
	"time"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// tlsRouteModel is one TLSRoute: its rules, its problems and its parents.
type tlsRouteModel struct {
	obj       *gwapiv1.TLSRoute
	meta      routeMeta
	rules     []*tlsRule
	acceptErr *routeError
	refErr    *routeError
	parents   []*parentAttachment
}

// tlsRule is one TLSRoute rule with its resolved backends.
type tlsRule struct {
	index       int
	destination *ir.Destination
}

// orderedTLSRoute is a TLS route waiting for its listener to be built.
type orderedTLSRoute struct {
	created   time.Time
	route     string
	rule      *tlsRule
	hostnames []string
}

// defaultTLSRules is what a TLSRoute without rules means: one rule without
// backends, which rejects every connection.
var defaultTLSRules = []gwapiv1.TLSRouteRule{{}}

// processTLSRoutes builds, attaches and emits every TLSRoute.
func (t *translator) processTLSRoutes(routes []*gwapiv1.TLSRoute) {
	for _, obj := range routes {
		if obj == nil || t.seenRoute(kindTLSRoute, obj.Namespace, obj.Name) {
			continue
		}
		m := t.buildTLSRoute(obj)
		t.attachTLSRoute(m)
		t.tlsRoutes = append(t.tlsRoutes, m)
	}
}

// buildTLSRoute validates the route and resolves its backends.
func (t *translator) buildTLSRoute(obj *gwapiv1.TLSRoute) *tlsRouteModel {
	m := &tlsRouteModel{obj: obj, meta: routeMeta{kind: kindTLSRoute, meta: &obj.ObjectMeta}}
	m.meta.hostnames, m.acceptErr = routeHostnames(specPath.Child("hostnames"), obj.Spec.Hostnames)
	rules := obj.Spec.Rules
	if len(rules) == 0 {
		rules = defaultTLSRules
	}
	from := backendFrom{kind: kindTLSRoute, namespace: obj.Namespace}
	var refErrs routeErrors
	for i := range rules {
		r, errs, err := t.buildTLSRule(from, i, &rules[i])
		refErrs = append(refErrs, errs...)
		if err != nil && m.acceptErr == nil {
			m.acceptErr = err
		}
		m.rules = append(m.rules, r)
	}
	m.refErr = refErrs.join()
	return m
}

// buildTLSRule resolves a rule's backends (buildL4Destination).
func (t *translator) buildTLSRule(from backendFrom, i int, rule *gwapiv1.TLSRouteRule) (*tlsRule, routeErrors, *routeError) {
	r := &tlsRule{index: i}
	path := specPath.Child("rules").Index(i).Child("backendRefs")
	var refErrs routeErrors
	var err *routeError
	r.destination, refErrs, err = t.buildL4Destination(from, path, rule.BackendRefs)
	return r, refErrs, err
}

// attachTLSRoute resolves the route's parents and queues its rules on every
// programmed listener it attaches to.
func (t *translator) attachTLSRoute(m *tlsRouteModel) {
	m.parents = t.attachParents(m.meta, normalizeParentRefs(m.obj.Spec.ParentRefs, m.obj.Namespace), m.acceptErr, nil)
	for _, lh := range attachedListeners(m.parents, nil) {
		l := lh.listener
		if !l.programmable() {
			continue
		}
		hostnames := isolatedHostnames(l, lh.hostnames)
		if len(hostnames) == 0 {
			continue
		}
		for _, r := range m.rules {
			l.tlsRoutes = append(l.tlsRoutes, orderedTLSRoute{
				created: m.obj.CreationTimestamp.Time, route: m.obj.Namespace + "/" + m.obj.Name, rule: r, hostnames: hostnames,
			})
		}
	}
}

// buildTLSListener builds the xDS IR of a TLS listener (passthrough, or
// terminating with the listener's certificates). Each SNI
// hostname goes to one route: the oldest route (then namespace/name, then
// rule order) keeps it.
func buildTLSListener(l *listenerModel) *ir.TLSListener {
	out := &ir.TLSListener{Name: l.irName(), Address: listenAddress, Port: ir.ContainerPort(uint32(l.port))}
	if terminatesTLS(l.spec) {
		out.TLS = &ir.TLSConfig{Certificates: l.certificates}
	}
	routes := l.tlsRoutes
	sortStableBy(routes, func(a, b orderedTLSRoute) bool {
		if !a.created.Equal(b.created) {
			return a.created.Before(b.created)
		}
		if a.route != b.route {
			return a.route < b.route
		}
		return a.rule.index < b.rule.index
	})
	claimed := map[string]bool{}
	for _, r := range routes {
		var hs []string
		for _, h := range r.hostnames {
			if !claimed[h] {
				claimed[h] = true
				hs = append(hs, irHostname(h))
			}
		}
		if len(hs) == 0 {
			continue
		}
		out.Routes = append(out.Routes, &ir.TLSRoute{
			Name:        fmt.Sprintf("tlsroute/%s/rule/%d", r.route, r.rule.index),
			Hostnames:   hs,
			Destination: r.rule.destination,
		})
	}
	return out
}
