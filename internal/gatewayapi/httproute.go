package gatewayapi

import (
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// httpRouteModel is one HTTPRoute or GRPCRoute (meta.kind says which):
// its rules, its problems and its parents. Both kinds become IR HTTP routes.
type httpRouteModel struct {
	meta routeMeta
	// parentRefs are the route's parentRefs, normalized, without repeats.
	parentRefs []normalizedRef
	// key is "<namespace>/<name>" and created the creation time in Unix
	// nanoseconds, both used for precedence.
	key     string
	created int64
	// rules are built once, whatever the listeners.
	rules []*httpRule
	// acceptErr makes every parent reject the route (invalid hostnames, no valid rule).
	acceptErr *routeError
	// partialErr is set when some rules, not all, are invalid.
	partialErr *routeError
	// refErr is the ResolvedRefs problem, if any.
	refErr *routeError
	// parents are the route's parents in this call, and attached the
	// listeners it attaches to (emitAttached). A memoized model keeps the
	// last call's until they are filled again (see attachParents).
	parents  []*parentAttachment
	attached []listenerHostnames
	// memo is the route's memo entry when translating with a Translator.
	memo *httpRouteMemo
}

// defaultHTTPRules is what an HTTPRoute without rules means: one rule
// matching every request, without backends.
var defaultHTTPRules = []gwapiv1.HTTPRouteRule{{}}

// processHTTPRoutes builds every HTTPRoute and resolves its parents; its IR
// routes are emitted once the conflicts with GRPCRoutes are resolved
// (emitHTTPRoutes).
func (t *translator) processHTTPRoutes(routes []*gwapiv1.HTTPRoute) {
	start := len(t.httpRoutes)
	for _, obj := range routes {
		if obj == nil || t.seenRoute(kindHTTPRoute, obj.Namespace, obj.Name) {
			continue
		}
		t.httpRoutes = append(t.httpRoutes, t.httpRoute(obj))
	}
	t.checkBuiltRules()
	for _, m := range t.httpRoutes[start:] {
		t.attachHTTPRoute(m)
	}
}

// newRouteModel starts the model of an HTTPRoute or GRPCRoute: its
// identity, parents and validated hostnames.
func newRouteModel(kind string, meta *metav1.ObjectMeta, spec *gwapiv1.CommonRouteSpec, hostnames []gwapiv1.Hostname) *httpRouteModel {
	m := &httpRouteModel{
		meta: routeMeta{kind: kind, meta: meta}, parentRefs: normalizeParentRefs(spec.ParentRefs, meta.Namespace),
		key: meta.Namespace + "/" + meta.Name, created: unixNanos(meta.CreationTimestamp.Time),
	}
	m.meta.hostnames, m.acceptErr = routeHostnames(specPath.Child("hostnames"), hostnames)
	return m
}

// buildHTTPRoute validates the route and builds its rules.
func (t *translator) buildHTTPRoute(obj *gwapiv1.HTTPRoute) *httpRouteModel {
	m := newRouteModel(kindHTTPRoute, &obj.ObjectMeta, &obj.Spec.CommonRouteSpec, obj.Spec.Hostnames)
	rules := obj.Spec.Rules
	if len(rules) == 0 {
		rules = defaultHTTPRules
	}
	from := backendFrom{kind: kindHTTPRoute, namespace: obj.Namespace}
	t.addRules(m, len(rules), func(i int, path fieldPath) *httpRule {
		return t.buildHTTPRule(httpRuleInput{from: from, route: m.key, index: i, path: path, rule: &rules[i]})
	})
	return m
}

// addRules builds the n rules of a route with build. Their problems are
// recorded on the route once the data-plane checks ran (checkBuiltRules),
// at once without checks.
func (t *translator) addRules(m *httpRouteModel, n int, build func(i int, path fieldPath) *httpRule) {
	for i := range n {
		m.rules = append(m.rules, build(i, rulePath(i)))
	}
	if t.dataPlane == nil {
		m.recordRuleProblems()
		return
	}
	t.unchecked = append(t.unchecked, m)
}

// rulePath is the field path of rule i of a route.
func rulePath(i int) fieldPath {
	return specPath.Child("rules").Index(i)
}

// checkBuiltRules runs the data-plane checks on the rules of the routes
// built since its last call and records their rules' problems on them.
// The checks build Envoy's messages for each route and drop them: run
// while the routes are built, that garbage was allocated between the
// models the Translator keeps, and once collected left their pages half
// empty; run after all the routes are built, it fills pages of its own.
func (t *translator) checkBuiltRules() {
	for _, m := range t.unchecked {
		for _, r := range m.rules {
			t.checkRule(r)
		}
		m.recordRuleProblems()
	}
	t.unchecked = nil
}

// recordRuleProblems records the problems of the route's rules on the route.
func (m *httpRouteModel) recordRuleProblems() {
	var refErrs routeErrors
	var invalid []int
	var invalidErrs routeErrors
	for i, r := range m.rules {
		refErrs = append(refErrs, r.refErrs...)
		if r.invalid != nil {
			invalid = append(invalid, i)
			invalidErrs.add(r.invalid)
		}
	}
	m.refErr = refErrs.join()
	m.setRuleValidity(invalid, invalidErrs, len(m.rules))
}

// setRuleValidity turns invalid rules into the route's Accepted or
// PartiallyInvalid condition (invalid rules answer 500; valid ones keep working).
func (m *httpRouteModel) setRuleValidity(invalid []int, errs routeErrors, total int) {
	if len(invalid) == 0 || m.acceptErr != nil {
		return
	}
	joined := errs.join()
	if len(invalid) == total {
		m.acceptErr = errorf(joined.reason, "All rules are invalid: %s", joined.msg)
		return
	}
	idx := make([]string, len(invalid))
	for i, v := range invalid {
		idx[i] = strconv.Itoa(v)
	}
	m.partialErr = errorf(joined.reason, "Dropped Rule(s) %s (they answer HTTP 500): %s", strings.Join(idx, ", "), joined.msg)
}

// specPath is the field path of an object's spec.
var specPath = newFieldPath("spec")

// routeHostnames validates route hostnames (whose field path is path); any
// invalid one rejects the route.
func routeHostnames(path fieldPath, hs []gwapiv1.Hostname) ([]string, *routeError) {
	out := make([]string, 0, len(hs))
	for i, h := range hs {
		if err := validateHostname(string(h)); err != nil {
			return nil, unsupportedAt(path.Index(i), "%s", err)
		}
		if !containsString(out, string(h)) {
			out = append(out, string(h))
		}
	}
	return out, nil
}

// attachHTTPRoute resolves the parents of an HTTPRoute or GRPCRoute.
func (t *translator) attachHTTPRoute(m *httpRouteModel) {
	m.parents = t.attachParents(m.meta, m.parentRefs, m.acceptErr, m.parents)
}

// emitHTTPRoutes emits the IR routes of every HTTPRoute and GRPCRoute on
// every programmed listener that accepts it.
func (t *translator) emitHTTPRoutes() {
	for _, routes := range [][]*httpRouteModel{t.httpRoutes, t.grpcRoutes} {
		for _, m := range routes {
			t.emitAttached(m)
		}
	}
}

// emitAttached records the route's attachments and emits its IR routes on
// every programmed listener it attaches to.
func (t *translator) emitAttached(m *httpRouteModel) {
	m.attached = attachedListeners(m.parents, m.attached)
	for _, lh := range m.attached {
		if lh.listener.programmable() {
			t.emitHTTPRoute(m, lh.listener, isolatedHostnames(lh.listener, lh.hostnames))
		}
	}
}

// emitHTTPRoute adds one IR route per hostname, rule and match to a listener.
func (t *translator) emitHTTPRoute(m *httpRouteModel, l *listenerModel, hostnames []string) {
	if len(hostnames) == 0 {
		return
	}
	e := m.emitted(l, hostnames, func() []orderedHTTPRoute { return emitHTTPRules(m, l, hostnames) })
	l.httpEntries = append(l.httpEntries, e)
}

// emitHTTPRules returns the IR routes of m's rules on listener l with hostnames.
func emitHTTPRules(m *httpRouteModel, l *listenerModel, hostnames []string) []orderedHTTPRoute {
	var out []orderedHTTPRoute
	for _, r := range m.rules {
		// The template's redirect, or, once the template is emitted, the
		// one it was emitted with: the same but for the port, which
		// withPort sets.
		redirect := r.template.Redirect
		if r.redirectToListenerPort {
			redirect = withPort(redirect, uint32(l.port))
		}
		for _, match := range r.matches {
			for _, h := range hostnames {
				route := r.emittable()
				route.Name = match.name
				route.Hostname = irHostname(h)
				route.PathMatch, route.HeaderMatches, route.QueryParamMatches, route.Method = match.path, match.headers, match.queries, match.method
				route.Redirect = redirect
				out = append(out, orderedHTTPRoute{key: httpOrder(m, r.index, match, h), route: route})
			}
		}
	}
	return out
}

// withPort returns a copy of a redirect with its port set.
func withPort(r *ir.Redirect, port uint32) *ir.Redirect {
	c := *r
	c.Port = &port
	return &c
}

// buildHTTPListener builds the xDS IR of an HTTP or HTTPS listener, and
// returns how many of its route entries use each cluster.
func (t *translator) buildHTTPListener(l *listenerModel) (*ir.HTTPListener, map[string]int, bool) {
	out := &ir.HTTPListener{
		Name:      l.irName(),
		Address:   listenAddress,
		Port:      ir.ContainerPort(uint32(l.port)),
		Hostnames: []string{irHostname(l.hostname)},
	}
	if l.spec.Protocol == gwapiv1.HTTPSProtocolType {
		out.TLS = &ir.TLSConfig{Certificates: l.certificates, ClientValidation: l.clientValidation}
	}
	var clusters map[string]int
	var sameClusters bool
	out.Routes, clusters, sameClusters = t.listenerRoutes(l)
	return out, clusters, sameClusters
}
