package router

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// The descriptors of rate limit actions follow Envoy's
// RateLimitPolicyEntryImpl: every action must produce its entry, keys
// default as Envoy's, the first header value is used.
func TestRateLimitDescriptors(t *testing.T) {
	rc := parseRC(t, `
name: rc
virtualHosts:
- name: v
  domains: ["*"]
  routes:
  - match: {prefix: /}
    route:
      cluster: c
      rateLimits:
      - actions: [{genericKey: {descriptorValue: g}}]
      - actions: [{genericKey: {descriptorKey: rule, descriptorValue: r}}, {requestHeaders: {headerName: X-User, descriptorKey: user}}]
      - actions: [{requestHeaders: {headerName: x-opt, descriptorKey: opt, skipIfAbsent: true}}, {remoteAddress: {}}]
      - actions: [{maskedRemoteAddress: {v4PrefixMaskLen: 8}}]
      - actions: [{maskedRemoteAddress: {}}]
      - actions: [{headerValueMatch: {descriptorValue: free, headers: [{name: x-plan, stringMatch: {exact: free}}]}}]
      - actions: [{headerValueMatch: {descriptorKey: paid, descriptorValue: "yes", expectMatch: false, headers: [{name: x-plan, stringMatch: {exact: free}}]}}]
      - actions: [{requestHeaders: {headerName: x-opt, descriptorKey: opt, skipIfAbsent: true}}]
`)
	table, err := Compile(rc)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		headers Headers
		remote  string
		want    []Descriptor
	}{
		{"ipv4 client, user, free plan", Headers{"x-user": {"alice", "bob"}, "x-plan": {"free"}}, "10.1.2.3", []Descriptor{
			{{"generic_key", "g"}},
			{{"rule", "r"}, {"user", "alice"}},
			{{"remote_address", "10.1.2.3"}},
			{{"masked_remote_address", "10.0.0.0/8"}},
			{{"masked_remote_address", "10.1.2.3/32"}},
			{{"header_match", "free"}},
		}},
		{"ipv6 client, no user, other plan, optional header", Headers{"x-plan": {"pro"}, "x-opt": {"o"}}, "2001:db8::1", []Descriptor{
			{{"generic_key", "g"}},
			{{"opt", "o"}, {"remote_address", "2001:db8::1"}},
			{{"masked_remote_address", "2001:db8::1/128"}},
			{{"masked_remote_address", "2001:db8::1/128"}},
			{{"paid", "yes"}},
			{{"opt", "o"}},
		}},
		{"no remote address", Headers{}, "", []Descriptor{
			{{"generic_key", "g"}},
			{{"paid", "yes"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &Request{Method: "GET", Authority: "a", Path: "/", Scheme: "http",
				Headers: Headers{"x-forwarded-proto": {"http"}}}
			maps.Copy(req.Headers, tc.headers)
			if tc.remote != "" {
				req.RemoteAddress = netip.MustParseAddr(tc.remote)
			}
			d := table.Route(req, zero{})
			if d.Forward == nil {
				t.Fatal("not forwarded")
			}
			got := Descriptors(d.Forward.RateLimits, req)
			if !slices.EqualFunc(got, tc.want, func(a, b Descriptor) bool { return slices.Equal(a, b) }) {
				t.Errorf("descriptors = %v, want %v", got, tc.want)
			}
		})
	}
}

type zero struct{}

func (zero) Uint64() uint64 { return 0 }

// Invalid actions are rejected with their path (the proto rules Envoy
// enforces).
func TestRateLimitActionsRejected(t *testing.T) {
	rc := parseRC(t, `
name: rc
virtualHosts:
- name: v
  domains: ["*"]
  routes:
  - match: {prefix: /}
    route: {cluster: c, rateLimits: [{actions: [{genericKey: {descriptorValue: g}}, {maskedRemoteAddress: {v4PrefixMaskLen: 33}}]}]}
`)
	_, err := Compile(rc)
	const want = "virtual_hosts[0].routes[0].route.rate_limits[0].actions[1].masked_remote_address.v4_prefix_mask_len"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want one naming %s", err, want)
	}
}
