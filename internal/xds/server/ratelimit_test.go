package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	sotwclient "github.com/envoyproxy/go-control-plane/pkg/client/sotw/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	rlsconfv3 "github.com/envoyproxy/go-control-plane/ratelimit/config/ratelimit/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/envoygw/envoy-gateway/internal/xds/server"
)

func rlsConfig(domain string, requests uint32) *rlsconfv3.RateLimitConfig {
	return &rlsconfv3.RateLimitConfig{Name: domain, Domain: domain, Descriptors: []*rlsconfv3.RateLimitDescriptor{{
		Key: "rule", Value: "r", RateLimit: &rlsconfv3.RateLimitPolicy{Unit: rlsconfv3.RateLimitUnit_SECOND, RequestsPerUnit: requests},
	}}}
}

// rlsClient is the rate limit service's own xDS client (go-control-plane's
// state-of-the-world ADS client, as the service's CONFIG_TYPE=GRPC_XDS_SOTW
// mode uses it) over mTLS, with the service's node.
type rlsClient struct {
	t      *testing.T
	client sotwclient.ADSClient
}

func newRLSClient(t *testing.T, ts *testServer, nodeID string) *rlsClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	conn := dial(t, ts.addr, ts.clientTLS(t))
	c := sotwclient.NewADSClient(ctx, &corev3.Node{Id: nodeID}, resourcev3.RateLimitConfigType)
	if err := c.InitConnect(conn); err != nil {
		t.Fatal(err)
	}
	return &rlsClient{t: t, client: c}
}

// fetch returns the configurations of the next response and ACKs it.
func (c *rlsClient) fetch() []*rlsconfv3.RateLimitConfig {
	c.t.Helper()
	type result struct {
		res *sotwclient.Response
		err error
	}
	got := make(chan result, 1)
	go func() {
		res, err := c.client.Fetch()
		got <- result{res, err}
	}()
	var r result
	select {
	case r = <-got:
	case <-time.After(waitTimeout):
		c.t.Fatal("no rate limit configuration received")
	}
	if r.err != nil {
		c.t.Fatal(r.err)
	}
	out := make([]*rlsconfv3.RateLimitConfig, 0, len(r.res.Resources))
	for _, a := range r.res.Resources {
		cfg := &rlsconfv3.RateLimitConfig{}
		if err := a.UnmarshalTo(cfg); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, cfg)
	}
	if err := c.client.Ack(); err != nil {
		c.t.Fatal(err)
	}
	// A state-of-the-world response lists its resources in no set order.
	slices.SortFunc(out, func(a, b *rlsconfv3.RateLimitConfig) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out
}

func TestRateLimitServiceGetsItsConfiguration(t *testing.T) {
	ts := startServer(t)
	update(t, ts.Server, "default/eg", translate(t, fleetIR("default", "")))
	rls := newRLSClient(t, ts, server.RateLimitNodeID)

	// Nothing is sent before the first configuration, which may be empty.
	if changed, err := ts.UpdateRateLimit(nil); err != nil || !changed {
		t.Fatalf("UpdateRateLimit(nil) = %v, %v; want changed", changed, err)
	}
	if got := rls.fetch(); len(got) != 0 {
		t.Fatalf("first response has %d configurations, want none", len(got))
	}

	want := []*rlsconfv3.RateLimitConfig{rlsConfig("a", 1), rlsConfig("b", 2)}
	if changed, err := ts.UpdateRateLimit(want); err != nil || !changed {
		t.Fatalf("UpdateRateLimit = %v, %v; want changed", changed, err)
	}
	if diff := cmp.Diff(want, rls.fetch(), protocmp.Transform()); diff != "" {
		t.Fatalf("configurations mismatch (-want +got):\n%s", diff)
	}
	// The same configuration again changes nothing.
	if changed, err := ts.UpdateRateLimit([]*rlsconfv3.RateLimitConfig{rlsConfig("a", 1), rlsConfig("b", 2)}); err != nil || changed {
		t.Fatalf("UpdateRateLimit(same) = %v, %v; want unchanged", changed, err)
	}
	next := []*rlsconfv3.RateLimitConfig{rlsConfig("a", 5)}
	if _, err := ts.UpdateRateLimit(next); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(next, rls.fetch(), protocmp.Transform()); diff != "" {
		t.Fatalf("updated configurations mismatch (-want +got):\n%s", diff)
	}
	if got := metricSum(t, ts.reg, "envoy_gateway_xds_connected_proxies", map[string]string{"fleet": ":ratelimit"}); got != 1 {
		t.Errorf("connected rate limit services = %v, want 1", got)
	}
}

// TestRateLimitNodeKeying: the service's node (its id, no cluster) is served
// the rate limit configuration; a node with that id and a cluster is a
// fleet's proxy and is served the fleet.
func TestRateLimitNodeKeying(t *testing.T) {
	ts := startServer(t)
	res := translate(t, fleetIR("default", ""))
	update(t, ts.Server, "default/eg", res)
	if _, err := ts.UpdateRateLimit([]*rlsconfv3.RateLimitConfig{rlsConfig("a", 1)}); err != nil {
		t.Fatal(err)
	}
	conn := dial(t, ts.addr, ts.clientTLS(t))
	proxy := newSotwClient(t, conn, &corev3.Node{Id: server.RateLimitNodeID, Cluster: "default/eg"}, false)
	proxy.subscribe(resourcev3.ListenerType, nil)
	if r := proxy.recv(); len(r.Resources) != len(res.Listeners) {
		t.Fatalf("the fleet's proxy got %d listeners, want %d", len(r.Resources), len(res.Listeners))
	}
	rls := newRLSClient(t, ts, server.RateLimitNodeID)
	if got := rls.fetch(); len(got) != 1 || got[0].GetName() != "a" {
		t.Fatalf("the service got %v, want configuration a", got)
	}
}

func TestUpdateRateLimitRejects(t *testing.T) {
	ts := startServer(t)
	rule := func(key, value string) *rlsconfv3.RateLimitDescriptor {
		return &rlsconfv3.RateLimitDescriptor{Key: key, Value: value,
			RateLimit: &rlsconfv3.RateLimitPolicy{Unit: rlsconfv3.RateLimitUnit_SECOND, RequestsPerUnit: 1}}
	}
	cases := []struct {
		name    string
		configs []*rlsconfv3.RateLimitConfig
		want    string
	}{
		{"no name", []*rlsconfv3.RateLimitConfig{{Domain: "d"}}, "names must be set and unique"},
		{"same name twice", []*rlsconfv3.RateLimitConfig{rlsConfig("a", 1), rlsConfig("a", 2)}, "names must be set and unique"},
		{"no domain", []*rlsconfv3.RateLimitConfig{{Name: "a"}}, "domain is empty"},
		{"no key", []*rlsconfv3.RateLimitConfig{{Name: "a", Domain: "a", Descriptors: []*rlsconfv3.RateLimitDescriptor{rule("", "v")}}},
			"descriptors[0]: key is empty"},
		{"composite keys collide", []*rlsconfv3.RateLimitConfig{{Name: "a", Domain: "a", Descriptors: []*rlsconfv3.RateLimitDescriptor{
			rule("k_v", ""), rule("k", "v"),
		}}}, `repeat a sibling's composite key "k_v"`},
		{"nested key missing", []*rlsconfv3.RateLimitConfig{{Name: "a", Domain: "a", Descriptors: []*rlsconfv3.RateLimitDescriptor{
			{Key: "rule", Value: "r", Descriptors: []*rlsconfv3.RateLimitDescriptor{rule("", "")}},
		}}}, "descriptors[0].descriptors[0]: key is empty"},
		{"no unit", []*rlsconfv3.RateLimitConfig{{Name: "a", Domain: "a", Descriptors: []*rlsconfv3.RateLimitDescriptor{
			{Key: "rule", RateLimit: &rlsconfv3.RateLimitPolicy{RequestsPerUnit: 1}},
		}}}, "rate limit has no unit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			changed, err := ts.UpdateRateLimit(tc.configs)
			if err == nil || changed || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("UpdateRateLimit = %v, %v; want an error containing %q", changed, err, tc.want)
			}
		})
	}
}
