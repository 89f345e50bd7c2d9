package gatewayapi

import (
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// A GRPCRoute is an HTTPRoute with gRPC-shaped matches: its rules are
// converted to HTTPRoute rules (filters and backendRefs have the same
// types) and share the HTTPRoute model, validation, attachment and IR.
// Only the matches differ (grpcmatch.go), and the backends are always
// spoken to over HTTP/2 (backend.go).

// defaultGRPCRules is what a GRPCRoute without rules means: one rule
// matching every request, without backends.
var defaultGRPCRules = []gwapiv1.GRPCRouteRule{{}}

// processGRPCRoutes builds every GRPCRoute and resolves its parents, as
// processHTTPRoutes does.
func (t *translator) processGRPCRoutes(routes []*gwapiv1.GRPCRoute) {
	start := len(t.grpcRoutes)
	for _, obj := range routes {
		if obj == nil || t.seenRoute(kindGRPCRoute, obj.Namespace, obj.Name) {
			continue
		}
		t.grpcRoutes = append(t.grpcRoutes, t.buildGRPCRoute(obj))
	}
	t.checkBuiltRules()
	for _, m := range t.grpcRoutes[start:] {
		t.attachHTTPRoute(m)
	}
}

// buildGRPCRoute validates the route and builds its rules.
func (t *translator) buildGRPCRoute(obj *gwapiv1.GRPCRoute) *httpRouteModel {
	m := newRouteModel(kindGRPCRoute, &obj.ObjectMeta, &obj.Spec.CommonRouteSpec, obj.Spec.Hostnames)
	rules := obj.Spec.Rules
	if len(rules) == 0 {
		rules = defaultGRPCRules
	}
	from := backendFrom{kind: kindGRPCRoute, namespace: obj.Namespace}
	t.addRules(m, len(rules), func(i int, path fieldPath) *httpRule {
		rule := httpRuleOf(&rules[i])
		return t.buildHTTPRule(httpRuleInput{
			from: from, route: m.key, index: i, path: path, rule: rule, grpcMatches: rules[i].Matches,
		})
	})
	return m
}

// httpRuleOf converts a GRPCRoute rule, except its matches, to the
// HTTPRoute rule that behaves the same.
func httpRuleOf(r *gwapiv1.GRPCRouteRule) *gwapiv1.HTTPRouteRule {
	out := &gwapiv1.HTTPRouteRule{
		Name:               r.Name,
		Filters:            httpFiltersOf(r.Filters),
		SessionPersistence: r.SessionPersistence,
	}
	for _, b := range r.BackendRefs {
		out.BackendRefs = append(out.BackendRefs, gwapiv1.HTTPBackendRef{BackendRef: b.BackendRef, Filters: httpFiltersOf(b.Filters)})
	}
	return out
}

// httpFiltersOf converts GRPCRoute filters to the HTTPRoute filters of the
// same type and configuration (GRPCRoute's filter types are a subset of
// HTTPRoute's, with the same names).
func httpFiltersOf(fs []gwapiv1.GRPCRouteFilter) []gwapiv1.HTTPRouteFilter {
	if len(fs) == 0 {
		return nil
	}
	out := make([]gwapiv1.HTTPRouteFilter, len(fs))
	for i, f := range fs {
		out[i] = gwapiv1.HTTPRouteFilter{
			Type:                   gwapiv1.HTTPRouteFilterType(f.Type),
			RequestHeaderModifier:  f.RequestHeaderModifier,
			ResponseHeaderModifier: f.ResponseHeaderModifier,
			RequestMirror:          f.RequestMirror,
			ExtensionRef:           f.ExtensionRef,
		}
	}
	return out
}
