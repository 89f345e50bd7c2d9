package gatewayapi

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// httpRule is one HTTPRoute rule, validated and resolved once, whatever the
// listeners it ends up on.
type httpRule struct {
	index   int
	matches []*httpMatch
	// invalid makes the rule answer 500 and is reported on Accepted.
	invalid *routeError
	// refErrs are reported on ResolvedRefs.
	refErrs routeErrors
	// template is the route every match copies (without match and
	// hostname), and the first route the rule emits (see emittable).
	template *ir.HTTPRoute
	// emitted says whether template was emitted.
	emitted bool
	// redirectToListenerPort: the redirect port is the listener's.
	redirectToListenerPort bool
	// checkPending: the rule is valid so far and waits for the data-plane
	// checks (checkRule).
	checkPending bool
}

// httpRuleInput is what building a rule needs to know about its route.
type httpRuleInput struct {
	from backendFrom
	// route is "<namespace>/<name>".
	route string
	index int
	// path is the rule's field path, "spec.rules[<index>]".
	path fieldPath
	// rule is the rule; for a GRPCRoute its conversion (grpcroute.go),
	// whose matches are grpcMatches.
	rule        *gwapiv1.HTTPRouteRule
	grpcMatches []gwapiv1.GRPCRouteMatch
}

// buildRuleMatches validates the matches of an HTTPRoute or GRPCRoute rule.
func (in *httpRuleInput) buildRuleMatches() ([]*httpMatch, routeErrors) {
	path := in.path.Child("matches")
	if in.from.kind == kindGRPCRoute {
		return buildGRPCMatches(path, in.grpcMatches)
	}
	return buildMatches(path, in.rule.Matches)
}

// buildHTTPRule validates one rule and builds its action.
func (t *translator) buildHTTPRule(in httpRuleInput) *httpRule {
	r := &httpRule{index: in.index, template: &ir.HTTPRoute{}}
	matches, matchErrs := in.buildRuleMatches()
	r.matches = matches
	for _, m := range r.matches {
		m.name = irRouteName(in.from.kind, in.route, in.index, m.index)
	}
	filters := t.buildFilters(in.from, in.path.Child("filters"), in.rule.Filters)
	filters.nameRateLimits(irRuleName(in.from.kind, in.route, in.index))
	invalid := make(routeErrors, 0, len(matchErrs)+len(filters.invalid))
	invalid = append(invalid, matchErrs...)
	invalid = append(invalid, filters.invalid...)
	r.refErrs = append(r.refErrs, filters.refErrs...)
	if filters.replacesPrefix {
		invalid.add(requirePrefixMatches(in.path.Child("matches"), in.rule.Matches))
	}
	invalid.add(unsupportedRuleFields(in.path, in.rule))
	timeout, backendTimeout, err := ruleTimeouts(in.path.Child("timeouts"), in.rule.Timeouts)
	invalid.add(err)
	retry, err := ruleRetry(in.path.Child("retry"), in.rule.Retry)
	invalid.add(err)
	backends, err := t.resolveHTTPBackends(in.from, in.path.Child("backendRefs"), in.rule.BackendRefs)
	invalid.add(err)
	if filters.redirect != nil && len(in.rule.BackendRefs) > 0 {
		invalid.add(errorf(gwapiv1.RouteReasonIncompatibleFilters, "%s: filter RequestRedirect cannot be combined with backendRefs", in.path))
	}
	for _, b := range backends {
		r.refErrs.add(b.err)
	}
	r.invalid = invalid.join()
	if r.invalid != nil || filters.failClosed {
		r.template.DirectResponse = &ir.DirectResponse{StatusCode: 500}
		return r
	}
	r.buildAction(filters, backends)
	if r.template.Destination != nil {
		r.template.Timeout, r.template.BackendRequestTimeout = timeout, backendTimeout
		r.template.Retry = retry
	}
	r.checkPending = t.dataPlane != nil
	return r
}

// emittable returns the IR route the rule emits next, for the caller to
// give its name, hostname, match and redirect (every route emitted gets
// them; the others are the template's): the template itself the first
// time, a copy of it after. The template is emitted before it is
// published and never changed after; copies of it read it. At 10,000
// routes of two rules, the template's copy that every rule kept besides
// its routes was 20,000 routes.
func (r *httpRule) emittable() *ir.HTTPRoute {
	if !r.emitted {
		r.emitted = true
		return r.template
	}
	c := *r.template
	return &c
}

// checkRule runs the data-plane checks on a rule waiting for them; a rule
// Envoy would refuse is invalid and answers 500.
func (t *translator) checkRule(r *httpRule) {
	if !r.checkPending {
		return
	}
	r.checkPending = false
	if err := t.checkDataPlane(rulePath(r.index), r); err != nil {
		r.invalid = err
		r.template, r.emitted = &ir.HTTPRoute{DirectResponse: &ir.DirectResponse{StatusCode: 500}}, false
		r.redirectToListenerPort = false
	}
}

// checkDataPlane runs Options.DataPlane on the route of each match of a
// valid rule (whose field path is path). The hostname and a redirect's
// listener port do not change what Envoy accepts: a placeholder stands for
// them.
func (t *translator) checkDataPlane(path fieldPath, r *httpRule) *routeError {
	if t.dataPlane == nil {
		return nil
	}
	for _, m := range r.matches {
		route := *r.template
		route.Name, route.Hostname = m.name, anyHost
		route.PathMatch, route.HeaderMatches, route.QueryParamMatches, route.Method = m.path, m.headers, m.queries, m.method
		if r.redirectToListenerPort {
			route.Redirect = withPort(route.Redirect, 1)
		}
		if err := t.dataPlane.CheckHTTPRoute(&route); err != nil {
			return unsupportedAt(path, "Envoy would refuse the route of match %d: %s", m.index, err)
		}
	}
	return nil
}

// buildAction sets the rule's action: a redirect, a destination, or a 500
// when no valid backend can take the request.
func (r *httpRule) buildAction(f *ruleFilters, backends []weightedBackend) {
	r.template.ResponseHeaders = f.responseHeaders
	r.template.RateLimit = f.rateLimit
	r.template.CORS = f.cors
	if f.redirect != nil {
		r.template.Redirect = f.redirect
		r.redirectToListenerPort = f.redirectToListenerPort
		return
	}
	r.template.RequestHeaders = f.requestHeaders
	r.template.Destination = destination(backends)
	if r.template.Destination == nil {
		r.template.DirectResponse = &ir.DirectResponse{StatusCode: 500}
		r.template.RateLimit = nil
		return
	}
	r.template.Rewrite = f.rewrite
	r.template.Mirrors = f.mirrors
}

// resolveHTTPBackends resolves the backendRefs of a rule (whose field path
// is path) with their filters.
func (t *translator) resolveHTTPBackends(from backendFrom, path fieldPath, refs []gwapiv1.HTTPBackendRef) ([]weightedBackend, *routeError) {
	out := make([]weightedBackend, 0, len(refs))
	for i := range refs {
		ref := &refs[i]
		w, ok := backendWeight(ref.Weight)
		if !ok {
			return nil, unsupportedAt(path.Index(i).Child("weight"), "backendRef weight %d is negative", *ref.Weight)
		}
		b := weightedBackend{weight: w}
		if err := backendFilters(path.Index(i).Child("filters"), ref.Filters, &b); err != nil {
			return nil, err
		}
		b.cluster, b.err = t.resolveBackend(from, &ref.BackendObjectReference)
		out = append(out, b)
	}
	return out, checkTotalWeight(path, out)
}

// backendFilters converts the filters of a backendRef (whose field path is
// path) into b: request and response header modifiers, each at most once.
func backendFilters(path fieldPath, filters []gwapiv1.HTTPRouteFilter, b *weightedBackend) *routeError {
	for i := range filters {
		f := &filters[i]
		var target **ir.HeaderModifier
		var config *gwapiv1.HTTPHeaderFilter
		name := ""
		switch f.Type {
		case gwapiv1.HTTPRouteFilterRequestHeaderModifier:
			target, config, name = &b.requestHeaders, f.RequestHeaderModifier, "requestHeaderModifier"
		case gwapiv1.HTTPRouteFilterResponseHeaderModifier:
			target, config, name = &b.responseHeaders, f.ResponseHeaderModifier, "responseHeaderModifier"
		default:
			return unsupportedAt(path.Index(i).Child("type"), "filter type %q is not supported on backendRefs", f.Type)
		}
		switch {
		case *target != nil:
			return unsupportedAt(path.Index(i), "filter %s must not be repeated", f.Type)
		case config == nil:
			return unsupportedAt(path.Index(i).Child(name), "filter %s requires %s", f.Type, name)
		}
		m, err := headerModifier(path.Index(i).Child(name), config)
		if err != nil {
			return err
		}
		*target = m
	}
	return nil
}

// checkTotalWeight rejects weights whose sum does not fit the uint32 Envoy
// adds them up in.
func checkTotalWeight(path fieldPath, backends []weightedBackend) *routeError {
	var total uint64
	for _, b := range backends {
		total += uint64(b.weight)
	}
	if total > math.MaxUint32 {
		return unsupportedAt(path, "the weights add up to %d, more than %d", total, uint64(math.MaxUint32))
	}
	return nil
}

// requirePrefixMatches enforces that ReplacePrefixMatch only comes with
// PathPrefix matches (the default match is one); path is the rule's "matches".
func requirePrefixMatches(path fieldPath, matches []gwapiv1.HTTPRouteMatch) *routeError {
	for i, m := range matches {
		if m.Path != nil && m.Path.Type != nil && *m.Path.Type != gwapiv1.PathMatchPathPrefix {
			return unsupportedAt(path.Index(i).Child("path", "type"), "ReplacePrefixMatch requires PathPrefix matches, not %s", *m.Path.Type)
		}
	}
	return nil
}

// unsupportedRuleFields rejects rule features this translator does not implement.
func unsupportedRuleFields(path fieldPath, rule *gwapiv1.HTTPRouteRule) *routeError {
	switch {
	case rule.SessionPersistence != nil:
		return unsupportedAt(path.Child("sessionPersistence"), "sessionPersistence is not supported")
	}
	return nil
}

// gatewayDuration is the Gateway API duration format (GEP-2257).
var gatewayDuration = regexp.MustCompile(`^([0-9]{1,5}(h|m|s|ms)){1,4}$`)

// ruleTimeouts converts the request and backend request timeouts; path is
// the rule's "timeouts".
func ruleTimeouts(path fieldPath, to *gwapiv1.HTTPRouteTimeouts) (request, backend *ir.Duration, err *routeError) {
	if to == nil {
		return nil, nil, nil
	}
	if request, err = parseDuration(path.Child("request"), to.Request); err != nil {
		return nil, nil, err
	}
	if backend, err = parseDuration(path.Child("backendRequest"), to.BackendRequest); err != nil {
		return nil, nil, err
	}
	if request != nil && backend != nil && *request != 0 && *backend > *request {
		return nil, nil, unsupportedAt(path.Child("backendRequest"), "%s is longer than the request timeout %s", *to.BackendRequest, *to.Request)
	}
	return request, backend, nil
}

// parseDuration converts a Gateway API duration (at most 4 x 99999h, which
// fits both time.Duration and Envoy's protobuf Duration).
func parseDuration(path fieldPath, d *gwapiv1.Duration) (*ir.Duration, *routeError) {
	if d == nil {
		return nil, nil
	}
	if !gatewayDuration.MatchString(string(*d)) {
		return nil, unsupportedAt(path, "%q is not a Gateway API duration", *d)
	}
	v, err := time.ParseDuration(string(*d))
	if err != nil {
		return nil, unsupportedAt(path, "%q: %s", *d, err)
	}
	return new(ir.Duration(v)), nil
}

// irRuleName is the stable name of one rule of a route of kind HTTPRoute or
// GRPCRoute: "httproute/<namespace>/<name>/rule/<i>" (or "grpcroute/...").
func irRuleName(kind, route string, rule int) string {
	return strings.ToLower(kind) + "/" + route + "/rule/" + strconv.Itoa(rule)
}

// irRouteName is the stable name of one match of one rule:
// "<kind>/<namespace>/<name>/rule/<i>/match/<j>".
func irRouteName(kind, route string, rule, match int) string {
	return irRuleName(kind, route, rule) + "/match/" + strconv.Itoa(match)
}
