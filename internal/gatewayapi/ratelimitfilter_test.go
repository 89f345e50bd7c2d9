package gatewayapi

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

func globalSpec(rules ...egv1a1.RateLimitRule) *egv1a1.RateLimitFilterSpec {
	return &egv1a1.RateLimitFilterSpec{Type: egv1a1.RateLimitTypeGlobal, Global: &egv1a1.RateLimitRules{Rules: rules}}
}

func perSecond(n int32, selectors ...egv1a1.RateLimitSelector) egv1a1.RateLimitRule {
	return egv1a1.RateLimitRule{ClientSelectors: selectors, Limit: egv1a1.RateLimitValue{Requests: n, Unit: egv1a1.RateLimitUnitSecond}}
}

func header(name string, typ egv1a1.MatchType, value *string) egv1a1.RateLimitSelector {
	return egv1a1.RateLimitSelector{Header: &egv1a1.HeaderSelector{Name: name, Type: typ, Value: value}}
}

func cidr(value string, typ egv1a1.MatchType) egv1a1.RateLimitSelector {
	return egv1a1.RateLimitSelector{SourceCIDR: &egv1a1.SourceCIDRSelector{Value: value, Type: typ}}
}

func TestRateLimitRules(t *testing.T) {
	cases := []struct {
		name string
		spec *egv1a1.RateLimitFilterSpec
		want []*ir.RateLimitRule
	}{
		{"no selectors", globalSpec(perSecond(5)),
			[]*ir.RateLimitRule{{Limit: ir.RateLimitValue{Requests: 5, Unit: ir.RateLimitSecond}}}},
		{"exact header by default, name lower-cased", globalSpec(perSecond(1, header("X-Plan", "", new("Free")))),
			[]*ir.RateLimitRule{{
				Selectors: []*ir.RateLimitSelector{{Header: "x-plan", Value: "Free"}},
				Limit:     ir.RateLimitValue{Requests: 1, Unit: ir.RateLimitSecond},
			}}},
		{"distinct header", globalSpec(perSecond(1, header("x-user", egv1a1.MatchTypeDistinct, nil))),
			[]*ir.RateLimitRule{{
				Selectors: []*ir.RateLimitSelector{{Header: "x-user", Distinct: true}},
				Limit:     ir.RateLimitValue{Requests: 1, Unit: ir.RateLimitSecond},
			}}},
		{"cidrs are masked", globalSpec(perSecond(1, cidr("192.168.7.9/16", "")), perSecond(2, cidr("2001:db8:1::5/48", egv1a1.MatchTypeDistinct))),
			[]*ir.RateLimitRule{
				{Selectors: []*ir.RateLimitSelector{{CIDR: "192.168.0.0/16"}}, Limit: ir.RateLimitValue{Requests: 1, Unit: ir.RateLimitSecond}},
				{Selectors: []*ir.RateLimitSelector{{CIDR: "2001:db8:1::/48", Distinct: true}}, Limit: ir.RateLimitValue{Requests: 2, Unit: ir.RateLimitSecond}},
			}},
		{"every client", globalSpec(perSecond(1, cidr("0.0.0.0/0", egv1a1.MatchTypeDistinct))),
			[]*ir.RateLimitRule{{Selectors: []*ir.RateLimitSelector{{CIDR: "0.0.0.0/0", Distinct: true}}, Limit: ir.RateLimitValue{Requests: 1, Unit: ir.RateLimitSecond}}}},
		{"local, every unit", &egv1a1.RateLimitFilterSpec{Type: egv1a1.RateLimitTypeLocal, Local: &egv1a1.RateLimitRules{Rules: []egv1a1.RateLimitRule{
			{Limit: egv1a1.RateLimitValue{Requests: 1, Unit: egv1a1.RateLimitUnitMinute}},
			{Limit: egv1a1.RateLimitValue{Requests: 2, Unit: egv1a1.RateLimitUnitHour}},
			{Limit: egv1a1.RateLimitValue{Requests: 3, Unit: egv1a1.RateLimitUnitDay}},
		}}}, []*ir.RateLimitRule{
			{Limit: ir.RateLimitValue{Requests: 1, Unit: ir.RateLimitMinute}},
			{Limit: ir.RateLimitValue{Requests: 2, Unit: ir.RateLimitHour}},
			{Limit: ir.RateLimitValue{Requests: 3, Unit: ir.RateLimitDay}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rateLimitRules(tc.spec)
			if err != nil {
				t.Fatalf("rateLimitRules error: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("rules mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRateLimitRulesRejects(t *testing.T) {
	tooMany := make([]egv1a1.RateLimitRule, maxRateLimitRules+1)
	for i := range tooMany {
		tooMany[i] = perSecond(1)
	}
	manySelectors := make([]egv1a1.RateLimitSelector, maxRateLimitSelectors+1)
	for i := range manySelectors {
		manySelectors[i] = header("x", egv1a1.MatchTypeDistinct, nil)
	}
	cases := []struct {
		name string
		spec *egv1a1.RateLimitFilterSpec
		want string
	}{
		{"unknown type", &egv1a1.RateLimitFilterSpec{Type: "Regional"}, `spec.type: Unsupported value: "Regional"`},
		{"global without rules", &egv1a1.RateLimitFilterSpec{Type: egv1a1.RateLimitTypeGlobal}, "spec.global.rules: Required value"},
		{"local with global", &egv1a1.RateLimitFilterSpec{Type: egv1a1.RateLimitTypeLocal, Local: &egv1a1.RateLimitRules{Rules: []egv1a1.RateLimitRule{perSecond(1)}}, Global: &egv1a1.RateLimitRules{}},
			"spec.global: Forbidden"},
		{"too many rules", globalSpec(tooMany...), "spec.global.rules: Too many: 17"},
		{"too many selectors", globalSpec(perSecond(1, manySelectors...)), "spec.global.rules[0].clientSelectors: Too many: 9"},
		{"empty selector", globalSpec(perSecond(1, egv1a1.RateLimitSelector{})), "spec.global.rules[0].clientSelectors[0]: Invalid value"},
		{"both in a selector", globalSpec(perSecond(1, egv1a1.RateLimitSelector{
			Header: &egv1a1.HeaderSelector{Name: "x", Type: egv1a1.MatchTypeDistinct}, SourceCIDR: &egv1a1.SourceCIDRSelector{Value: "10.0.0.0/8"},
		})), "exactly one of header and sourceCIDR"},
		{"bad header name", globalSpec(perSecond(1, header("x user", egv1a1.MatchTypeDistinct, nil))), "clientSelectors[0].header.name: Invalid value"},
		{"exact without value", globalSpec(perSecond(1, header("x", egv1a1.MatchTypeExact, nil))), "clientSelectors[0].header.value: Required value"},
		{"distinct with value", globalSpec(perSecond(1, header("x", egv1a1.MatchTypeDistinct, new("v")))), "clientSelectors[0].header.value: Forbidden"},
		{"value with newline", globalSpec(perSecond(1, header("x", egv1a1.MatchTypeExact, new("a\nb")))), "must not contain a newline"},
		{"unknown match type", globalSpec(perSecond(1, header("x", "Prefix", new("v")))), `header.type: Unsupported value: "Prefix"`},
		{"bad cidr", globalSpec(perSecond(1, cidr("10.0.0.0", ""))), "sourceCIDR.value: Invalid value"},
		{"two cidrs", globalSpec(perSecond(1, cidr("10.0.0.0/8", ""), cidr("10.1.0.0/16", ""))), "clientSelectors[1]: Invalid value"},
		{"zero requests", globalSpec(perSecond(0)), "spec.global.rules[0].limit.requests: Invalid value: 0"},
		{"bad unit", globalSpec(egv1a1.RateLimitRule{Limit: egv1a1.RateLimitValue{Requests: 1, Unit: "Week"}}), `limit.unit: Unsupported value: "Week"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rateLimitRules(tc.spec)
			if err == nil {
				t.Fatal("rateLimitRules succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}
