package gatewayapi

import (
	"fmt"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// RateLimitDomain is the rate limit domain of every descriptor the proxies
// send to the rate limit service.
const RateLimitDomain = "envoy-gateway"

// Bounds of a RateLimitFilter, as its CRD sets them.
const (
	maxRateLimitRules     = 16
	maxRateLimitSelectors = 8
	maxRateLimitRequests  = 1_000_000_000
	maxSelectorValueBytes = 4096
)

// isRateLimitFilterRef reports whether an ExtensionRef names a RateLimitFilter.
func isRateLimitFilterRef(ref *gwapiv1.LocalObjectReference) bool {
	return string(ref.Group) == egv1a1.GroupVersion.Group && string(ref.Kind) == egv1a1.KindRateLimitFilter
}

// buildRateLimitFilter applies the RateLimitFilter an ExtensionRef names (in
// the route's namespace). A missing filter is an unresolved reference whose
// requests get a 500; an invalid one, or a Global one when global rate
// limiting is not configured, makes the rule invalid.
func (t *translator) buildRateLimitFilter(in filterInput, out *ruleFilters) {
	path := in.path.Child("extensionRef")
	ref := in.f.ExtensionRef
	obj := t.rateLimitFilter(keyOf(in.from.namespace, string(ref.Name)))
	if obj == nil {
		out.failClosed = true
		out.refErrs.add(errorf(gwapiv1.RouteReasonBackendNotFound, "%s: RateLimitFilter %s/%s not found", path, in.from.namespace, ref.Name))
		return
	}
	name := obj.Namespace + "/" + obj.Name
	rules, err := rateLimitRules(&obj.Spec)
	if err != nil {
		out.invalid.add(unsupportedAt(path, "RateLimitFilter %s is invalid: %s", name, err))
		return
	}
	for j, r := range rules {
		r.Name = fmt.Sprintf("filter/%d/limit/%d", in.index, j)
	}
	if out.rateLimit == nil {
		out.rateLimit = &ir.RouteRateLimit{}
	}
	if obj.Spec.Type == egv1a1.RateLimitTypeLocal {
		out.rateLimit.Local = append(out.rateLimit.Local, rules...)
		return
	}
	if t.globalRateLimit == nil {
		out.invalid.add(unsupportedAt(path, "RateLimitFilter %s has Global limits, but rate limiting is not configured "+
			"(rateLimit in the EnvoyGateway configuration)", name))
		return
	}
	out.rateLimit.Global = append(out.rateLimit.Global, rules...)
}

// nameRateLimits prefixes the names of a rule's rate limits with the IR
// name of the HTTPRoute rule, "httproute/<ns>/<name>/rule/<i>", making them
// unique among every route's.
func (f *ruleFilters) nameRateLimits(rule string) {
	if f.rateLimit == nil {
		return
	}
	for _, r := range append(append([]*ir.RateLimitRule(nil), f.rateLimit.Global...), f.rateLimit.Local...) {
		r.Name = rule + "/" + r.Name
	}
}

// rateLimitRules converts the rules of a RateLimitFilter spec. The error
// names the first invalid field, from "spec".
func rateLimitRules(spec *egv1a1.RateLimitFilterSpec) ([]*ir.RateLimitRule, *field.Error) {
	path := field.NewPath("spec")
	var rules *egv1a1.RateLimitRules
	switch spec.Type {
	case egv1a1.RateLimitTypeGlobal:
		rules, path = spec.Global, path.Child("global")
		if spec.Local != nil {
			return nil, field.Forbidden(field.NewPath("spec", "local"), "must not be set when type is Global")
		}
	case egv1a1.RateLimitTypeLocal:
		rules, path = spec.Local, path.Child("local")
		if spec.Global != nil {
			return nil, field.Forbidden(field.NewPath("spec", "global"), "must not be set when type is Local")
		}
	default:
		return nil, field.NotSupported(path.Child("type"), spec.Type, []egv1a1.RateLimitType{egv1a1.RateLimitTypeGlobal, egv1a1.RateLimitTypeLocal})
	}
	if rules == nil || len(rules.Rules) == 0 {
		return nil, field.Required(path.Child("rules"), "at least one rule")
	}
	if len(rules.Rules) > maxRateLimitRules {
		return nil, field.TooMany(path.Child("rules"), len(rules.Rules), maxRateLimitRules)
	}
	out := make([]*ir.RateLimitRule, 0, len(rules.Rules))
	for i := range rules.Rules {
		r, err := rateLimitRule(path.Child("rules").Index(i), &rules.Rules[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func rateLimitRule(path *field.Path, r *egv1a1.RateLimitRule) (*ir.RateLimitRule, *field.Error) {
	if len(r.ClientSelectors) > maxRateLimitSelectors {
		return nil, field.TooMany(path.Child("clientSelectors"), len(r.ClientSelectors), maxRateLimitSelectors)
	}
	out := &ir.RateLimitRule{}
	cidrs := 0
	for i := range r.ClientSelectors {
		s, err := rateLimitSelector(path.Child("clientSelectors").Index(i), &r.ClientSelectors[i])
		if err != nil {
			return nil, err
		}
		if s.CIDR != "" {
			if cidrs++; cidrs > 1 {
				return nil, field.Invalid(path.Child("clientSelectors").Index(i), "sourceCIDR", "at most one client selector may be a sourceCIDR")
			}
		}
		out.Selectors = append(out.Selectors, s)
	}
	limit, err := rateLimitValue(path.Child("limit"), r.Limit)
	if err != nil {
		return nil, err
	}
	out.Limit = limit
	return out, nil
}

func rateLimitSelector(path *field.Path, s *egv1a1.RateLimitSelector) (*ir.RateLimitSelector, *field.Error) {
	switch {
	case (s.Header == nil) == (s.SourceCIDR == nil):
		return nil, field.Invalid(path, "", "exactly one of header and sourceCIDR must be set")
	case s.Header != nil:
		return headerSelector(path.Child("header"), s.Header)
	}
	return cidrSelector(path.Child("sourceCIDR"), s.SourceCIDR)
}

func headerSelector(path *field.Path, h *egv1a1.HeaderSelector) (*ir.RateLimitSelector, *field.Error) {
	if err := checkHeaderName(fieldPath{root: path.Child("name")}, h.Name); err != nil {
		return nil, field.Invalid(path.Child("name"), h.Name, "must be an HTTP header name")
	}
	distinct, err := matchType(path.Child("type"), h.Type)
	if err != nil {
		return nil, err
	}
	out := &ir.RateLimitSelector{Header: strings.ToLower(h.Name), Distinct: distinct}
	switch {
	case distinct && h.Value != nil:
		return nil, field.Forbidden(path.Child("value"), "must not be set when type is Distinct")
	case distinct:
		return out, nil
	case h.Value == nil || *h.Value == "":
		return nil, field.Required(path.Child("value"), "an Exact selector needs the header value")
	case len(*h.Value) > maxSelectorValueBytes:
		return nil, field.TooLong(path.Child("value"), "", maxSelectorValueBytes)
	case forbiddenHeaderChar(*h.Value) != "":
		return nil, field.Invalid(path.Child("value"), *h.Value, "must not contain "+forbiddenHeaderChar(*h.Value))
	}
	out.Value = *h.Value
	return out, nil
}

func cidrSelector(path *field.Path, c *egv1a1.SourceCIDRSelector) (*ir.RateLimitSelector, *field.Error) {
	prefix, perr := netip.ParsePrefix(c.Value)
	if perr != nil {
		return nil, field.Invalid(path.Child("value"), c.Value, "must be a CIDR such as 10.0.0.0/8")
	}
	distinct, err := matchType(path.Child("type"), c.Type)
	if err != nil {
		return nil, err
	}
	return &ir.RateLimitSelector{CIDR: prefix.Masked().String(), Distinct: distinct}, nil
}

// matchType reports whether a selector's type is Distinct; empty means Exact.
func matchType(path *field.Path, t egv1a1.MatchType) (distinct bool, err *field.Error) {
	switch t {
	case "", egv1a1.MatchTypeExact:
		return false, nil
	case egv1a1.MatchTypeDistinct:
		return true, nil
	}
	return false, field.NotSupported(path, t, []egv1a1.MatchType{egv1a1.MatchTypeExact, egv1a1.MatchTypeDistinct})
}

var rateLimitUnits = map[egv1a1.RateLimitUnit]ir.RateLimitUnit{
	egv1a1.RateLimitUnitSecond: ir.RateLimitSecond,
	egv1a1.RateLimitUnitMinute: ir.RateLimitMinute,
	egv1a1.RateLimitUnitHour:   ir.RateLimitHour,
	egv1a1.RateLimitUnitDay:    ir.RateLimitDay,
}

func rateLimitValue(path *field.Path, v egv1a1.RateLimitValue) (ir.RateLimitValue, *field.Error) {
	if v.Requests < 1 || v.Requests > maxRateLimitRequests {
		return ir.RateLimitValue{}, field.Invalid(path.Child("requests"), v.Requests, fmt.Sprintf("must be between 1 and %d", maxRateLimitRequests))
	}
	unit, ok := rateLimitUnits[v.Unit]
	if !ok {
		return ir.RateLimitValue{}, field.NotSupported(path.Child("unit"), v.Unit,
			[]egv1a1.RateLimitUnit{egv1a1.RateLimitUnitSecond, egv1a1.RateLimitUnitMinute, egv1a1.RateLimitUnitHour, egv1a1.RateLimitUnitDay})
	}
	return ir.RateLimitValue{Requests: uint32(v.Requests), Unit: unit}, nil
}

// UsesGlobalRateLimit reports whether a fleet of the result has routes with
// global rate limits, which need the rate limit service.
func (r *Result) UsesGlobalRateLimit() bool {
	for _, f := range r.Fleets {
		if f != nil && f.Xds != nil && f.Xds.GlobalRateLimit != nil {
			return true
		}
	}
	return false
}
