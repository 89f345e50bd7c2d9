package file

import (
	"strings"
	"testing"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

const rateLimitFilterYAML = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: RateLimitFilter
metadata:
  name: per-user
spec:
  type: Global
  global:
    rules:
    - clientSelectors:
      - header:
          name: x-user-id
          type: Distinct
      - sourceCIDR:
          value: 10.0.0.0/8
      limit:
        requests: 10
        unit: Minute
`

// TestParseRateLimitFilter: a RateLimitFilter is validated against its CRD
// (defaults applied) and ends in the snapshot.
func TestParseRateLimitFilter(t *testing.T) {
	p := parseOne(t, "rl.yaml", rateLimitFilterYAML)
	if len(p.Errors()) > 0 || len(p.Warnings()) > 0 {
		t.Fatalf("unexpected problems: %v %v", p.Errors(), p.Warnings())
	}
	res, problems := Build([]*Parsed{p}, nil)
	if len(problems) > 0 || len(res.RateLimitFilters) != 1 {
		t.Fatalf("problems %v, %d filters; want one filter", problems, len(res.RateLimitFilters))
	}
	f := res.RateLimitFilters[0]
	if f.Namespace != DefaultNamespace {
		t.Errorf("namespace = %q, want %q", f.Namespace, DefaultNamespace)
	}
	if got := f.Spec.Global.Rules[0].ClientSelectors[1].SourceCIDR.Type; got != egv1a1.MatchTypeExact {
		t.Errorf("sourceCIDR type = %q, want the Exact default", got)
	}
}

// TestParseRateLimitFilterRejects: the CRD's schema and CEL rules reject
// invalid filters with the field path.
func TestParseRateLimitFilterRejects(t *testing.T) {
	cases := []struct {
		name, from, to string
		// field is the path the error names (followed by its line), want
		// the rest of the message.
		field, want string
	}{
		{"bad cidr", "value: 10.0.0.0/8", "value: 10.0.0.0/33",
			"spec.global.rules[0].clientSelectors[1].sourceCIDR.value", `Invalid value: "10.0.0.0/33": value must be a CIDR such as 10.0.0.0/8`},
		{"distinct header with a value", "type: Distinct", "type: Distinct\n          value: alice",
			"spec.global.rules[0].clientSelectors[0].header", "Invalid value: value must be set when type is Exact"},
		{"type and section disagree", "type: Global", "type: Local",
			"spec", "Invalid value: global must be set, and local not, when type is Global"},
		{"zero requests", "requests: 10", "requests: 0", "spec.global.rules[0].limit.requests", "Invalid value: 0"},
		{"unknown unit", "unit: Minute", "unit: Week", "spec.global.rules[0].limit.unit", `Unsupported value: "Week"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := parseOne(t, "rl.yaml", strings.Replace(rateLimitFilterYAML, tc.from, tc.to, 1))
			for _, e := range p.Errors() {
				msg := e.Error()
				if strings.Contains(msg, ": "+tc.field+" (line ") && strings.Contains(msg, tc.want) {
					return
				}
			}
			t.Fatalf("errors %v, want one on %s containing %q", p.Errors(), tc.field, tc.want)
		})
	}
}
