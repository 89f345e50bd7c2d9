package translator

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rlsconfv3 "github.com/envoyproxy/go-control-plane/ratelimit/config/ratelimit/v3"

	"github.com/envoygw/envoy-gateway/internal/golden"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// TestRateLimitConfigGolden compares the rate limit service configuration of
// every golden case with a rate limit service with <case>.ratelimit.yaml.
func TestRateLimitConfigGolden(t *testing.T) {
	for _, name := range goldenCases(t) {
		x := loadIR(t, name)
		path := filepath.Join("testdata", name+".ratelimit.yaml")
		var got []proto.Message
		for _, c := range RateLimitConfigs([]*ir.Xds{x}) {
			got = append(got, c)
		}
		golden.CompareMessages(t, path, got, func() proto.Message { return &rlsconfv3.RateLimitConfig{} })
	}
}

// everySelector is a rule with one selector of each kind.
var everySelector = &ir.RateLimitRule{
	Name: "httproute/ns/r/rule/0/filter/0/limit/0",
	Selectors: []*ir.RateLimitSelector{
		{Header: "x-a", Value: "v"},
		{Header: "x-b", Distinct: true},
		{CIDR: "10.0.0.0/8", Distinct: true},
	},
	Limit: ir.RateLimitValue{Requests: 3, Unit: ir.RateLimitMinute},
}

// actionEntry is the descriptor entry an action produces, as far as it is
// known from the configuration: distinct values are "".
func actionEntry(t *testing.T, a *routev3.RateLimit_Action) (key, value string) {
	t.Helper()
	switch s := a.ActionSpecifier.(type) {
	case *routev3.RateLimit_Action_GenericKey_:
		return s.GenericKey.DescriptorKey, s.GenericKey.DescriptorValue
	case *routev3.RateLimit_Action_HeaderValueMatch_:
		return s.HeaderValueMatch.DescriptorKey, s.HeaderValueMatch.DescriptorValue
	case *routev3.RateLimit_Action_RequestHeaders_:
		return s.RequestHeaders.DescriptorKey, ""
	case *routev3.RateLimit_Action_MaskedRemoteAddress_:
		return "masked_remote_address", "10.0.0.0/8"
	case *routev3.RateLimit_Action_RemoteAddress_:
		return "remote_address", ""
	}
	t.Fatalf("unexpected action %T", a.ActionSpecifier)
	return "", ""
}

// TestActionsAgreeWithServiceDescriptors walks the actions of a rule and
// its rate limit service descriptor tree side by side: each action's key,
// and its value when configured, is the tree's at that depth; the limit is
// on the last level only.
func TestActionsAgreeWithServiceDescriptors(t *testing.T) {
	actions := RateLimitActions(everySelector)
	d := RateLimitDescriptor(everySelector)
	if len(actions) != 5 {
		t.Fatalf("%d actions, want 5 (rule, header, header, masked address, address)", len(actions))
	}
	for i, a := range actions {
		if d == nil {
			t.Fatalf("descriptor tree ends at depth %d of %d", i, len(actions))
		}
		key, value := actionEntry(t, a)
		if d.Key != key || d.Value != value {
			t.Errorf("depth %d: tree has %q=%q, action produces %q=%q", i, d.Key, d.Value, key, value)
		}
		last := i == len(actions)-1
		if (d.RateLimit != nil) != last {
			t.Errorf("depth %d: rate limit %v, want one only on the last level", i, d.RateLimit)
		}
		if last {
			want := &rlsconfv3.RateLimitPolicy{Unit: rlsconfv3.RateLimitUnit_MINUTE, RequestsPerUnit: 3}
			if diff := cmp.Diff(want, d.RateLimit, protocmp.Transform()); diff != "" {
				t.Errorf("limit mismatch (-want +got):\n%s", diff)
			}
			if len(d.Descriptors) != 0 {
				t.Errorf("the last level has children")
			}
			break
		}
		if len(d.Descriptors) != 1 {
			t.Fatalf("depth %d has %d children, want 1", i, len(d.Descriptors))
		}
		d = d.Descriptors[0]
	}
	// The local configuration uses the same entries.
	local := LocalRateLimitPerRoute([]*ir.RateLimitRule{everySelector})
	if diff := cmp.Diff(local.RateLimits[0].Actions, actions, protocmp.Transform()); diff != "" {
		t.Errorf("local actions differ from global ones (-global +local):\n%s", diff)
	}
	entries := local.Descriptors[0].Entries
	for i, a := range actions {
		key, value := actionEntry(t, a)
		if entries[i].Key != key || entries[i].Value != value {
			t.Errorf("local entry %d is %q=%q, action produces %q=%q", i, entries[i].Key, entries[i].Value, key, value)
		}
	}
}

func TestMaskedRemoteAddressLengths(t *testing.T) {
	cases := []struct {
		cidr   string
		v4, v6 uint32
	}{
		{"10.0.0.0/8", 8, 128},
		{"0.0.0.0/0", 0, 128},
		{"192.168.1.7/32", 32, 128},
		{"2001:db8::/32", 32, 32},
		{"::/0", 32, 0},
	}
	for _, tc := range cases {
		m := maskedRemoteAddress(tc.cidr).GetMaskedRemoteAddress()
		if m.GetV4PrefixMaskLen().GetValue() != tc.v4 || m.GetV6PrefixMaskLen().GetValue() != tc.v6 {
			t.Errorf("%s: masks v4 %d v6 %d, want %d and %d", tc.cidr, m.GetV4PrefixMaskLen().GetValue(), m.GetV6PrefixMaskLen().GetValue(), tc.v4, tc.v6)
		}
	}
}

func TestRateLimitConfigsAcrossFleets(t *testing.T) {
	service := &ir.GlobalRateLimit{Domain: "envoy-gateway", Host: "rls", Port: 8081, Timeout: 1}
	rule := func(name string, n uint32) *ir.RateLimitRule {
		return &ir.RateLimitRule{Name: name, Limit: ir.RateLimitValue{Requests: n, Unit: ir.RateLimitSecond}}
	}
	fleet := func(g *ir.GlobalRateLimit, rules ...*ir.RateLimitRule) *ir.Xds {
		return &ir.Xds{GlobalRateLimit: g, HTTP: []*ir.HTTPListener{{Routes: []*ir.HTTPRoute{
			{RateLimit: &ir.RouteRateLimit{Global: rules}},
			{RateLimit: &ir.RouteRateLimit{Global: rules[:1]}},
		}}}}
	}
	got := RateLimitConfigs([]*ir.Xds{
		fleet(service, rule("b", 1), rule("a", 2)),
		fleet(service, rule("a", 9), rule("c", 3)), // "a" already seen: the first fleet's wins
		fleet(nil, rule("ignored", 1)),             // no service: no global limits
		fleet(&ir.GlobalRateLimit{Domain: "other", Host: "rls", Port: 1, Timeout: 1}, rule("z", 4)),
		nil,
	})
	want := []*rlsconfv3.RateLimitConfig{
		{Name: "envoy-gateway", Domain: "envoy-gateway", Descriptors: []*rlsconfv3.RateLimitDescriptor{
			{Key: "rule", Value: "a", RateLimit: &rlsconfv3.RateLimitPolicy{Unit: rlsconfv3.RateLimitUnit_SECOND, RequestsPerUnit: 2}},
			{Key: "rule", Value: "b", RateLimit: &rlsconfv3.RateLimitPolicy{Unit: rlsconfv3.RateLimitUnit_SECOND, RequestsPerUnit: 1}},
			{Key: "rule", Value: "c", RateLimit: &rlsconfv3.RateLimitPolicy{Unit: rlsconfv3.RateLimitUnit_SECOND, RequestsPerUnit: 3}},
		}},
		{Name: "other", Domain: "other", Descriptors: []*rlsconfv3.RateLimitDescriptor{
			{Key: "rule", Value: "z", RateLimit: &rlsconfv3.RateLimitPolicy{Unit: rlsconfv3.RateLimitUnit_SECOND, RequestsPerUnit: 4}},
		}},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Fatalf("configs mismatch (-want +got):\n%s", diff)
	}
	if got := RateLimitConfigs(nil); len(got) != 0 {
		t.Fatalf("no fleets: %d configs, want none", len(got))
	}
}
