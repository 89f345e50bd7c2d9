package hcm

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

// rateLimitHCM has both rate limit filters before the router: the local
// one without a configuration of its own (routes give theirs), the
// global one asking the "ratelimit" cluster.
const rateLimitHCM = `
statPrefix: test
useRemoteAddress: true
rds: {routeConfigName: r, configSource: {ads: {}, resourceApiVersion: V3}}
httpFilters:
- name: envoy.filters.http.local_ratelimit
  typedConfig: {'@type': type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit, statPrefix: l}
- name: envoy.filters.http.ratelimit
  typedConfig:
    '@type': type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit
    domain: test
    TIMEOUT
    FAILURE
    rateLimitService: {grpcService: {envoyGrpc: {clusterName: ratelimit}}, transportApiVersion: V3}
- name: envoy.filters.http.router
  typedConfig: {'@type': type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
`

const rateLimitRoutes = `
name: r
virtualHosts:
- name: all
  domains: ["*"]
  routes:
  - match: {prefix: /local}
    route: {cluster: backend}
    typedPerFilterConfig:
      envoy.filters.http.local_ratelimit:
        '@type': type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
        statPrefix: l
        tokenBucket: {maxTokens: 1000, tokensPerFill: 1000, fillInterval: 1s}
        filterEnabled: {defaultValue: {numerator: 100}}
        filterEnforced: {defaultValue: {numerator: 100}}
        alwaysConsumeDefaultTokenBucket: false
        rateLimits: [{actions: [{requestHeaders: {headerName: x-user, descriptorKey: user}}]}]
        descriptors: [{entries: [{key: user}], tokenBucket: {maxTokens: 2, tokensPerFill: 2, fillInterval: 3600s}}]
  - match: {prefix: /global}
    route:
      cluster: backend
      rateLimits: [{actions: [{genericKey: {descriptorKey: rule, descriptorValue: g}}, {requestHeaders: {headerName: x-user, descriptorKey: user}}]}]
  - match: {prefix: /missing}
    route:
      cluster: nowhere
      rateLimits: [{actions: [{genericKey: {descriptorKey: rule, descriptorValue: g}}]}]
`

// rlsFake answers OVER_LIMIT for the user "blocked", OK with headers to add
// otherwise; with block it never answers.
type rlsFake struct {
	rlsv3.UnimplementedRateLimitServiceServer
	block bool
	mu    sync.Mutex
	calls []*rlsv3.RateLimitRequest
}

func (f *rlsFake) ShouldRateLimit(ctx context.Context, r *rlsv3.RateLimitRequest) (*rlsv3.RateLimitResponse, error) {
	f.mu.Lock()
	f.calls = append(f.calls, r)
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	for _, d := range r.GetDescriptors() {
		for _, e := range d.GetEntries() {
			if e.GetKey() == "user" && e.GetValue() == "blocked" {
				return &rlsv3.RateLimitResponse{OverallCode: rlsv3.RateLimitResponse_OVER_LIMIT,
					ResponseHeadersToAdd: []*corev3.HeaderValue{{Key: "x-rl", Value: "over"}}}, nil
			}
		}
	}
	return &rlsv3.RateLimitResponse{OverallCode: rlsv3.RateLimitResponse_OK,
		ResponseHeadersToAdd: []*corev3.HeaderValue{{Key: "x-rl", Value: "ok"}},
		RequestHeadersToAdd:  []*corev3.HeaderValue{{Key: "x-rl-checked", Value: "1"}}}, nil
}

func (f *rlsFake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// startRLS serves f on loopback until the test ends; the returned
// GRPCConns gives a connection to it for any cluster.
func startRLS(t *testing.T, f *rlsFake) GRPCConns {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	rlsv3.RegisterRateLimitServiceServer(srv, f)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(); srv.Stop(); <-done })
	return func(string) grpc.ClientConnInterface { return conn }
}

// rateLimitFixture serves rateLimitRoutes with the rate limit service f.
// The filter's timeout is one no answer on a loaded machine exceeds, unless
// f never answers: then a short one (the outcome is the same, sooner).
func rateLimitFixture(t *testing.T, failure string, f *rlsFake) (*fixture, *testBackend) {
	t.Helper()
	timeout := "timeout: 30s"
	if f.block {
		timeout = "timeout: 0.2s"
	}
	h := &hcmv3.HttpConnectionManager{}
	j, err := yaml.YAMLToJSON([]byte(replaceLine(replaceLine(rateLimitHCM, "FAILURE", failure), "TIMEOUT", timeout)))
	if err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(j, h); err != nil {
		t.Fatal(err)
	}
	cfg, err := Compile(h, "hcm")
	if err != nil {
		t.Fatal(err)
	}
	rc := &routev3.RouteConfiguration{}
	if j, err = yaml.YAMLToJSON([]byte(rateLimitRoutes)); err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(j, rc); err != nil {
		t.Fatal(err)
	}
	b := newBackend(t, nil)
	service := staticCluster(t, "ratelimit", netip.MustParseAddrPort("127.0.0.1:1"))
	return newFixtureWith(t, cfg, rc, startRLS(t, f), staticCluster(t, "backend", b.addr), service), b
}

// replaceLine replaces the line holding marker (indentation kept) with
// text, or removes it when text is empty.
func replaceLine(s, marker, text string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		if idx := strings.Index(line, marker); idx >= 0 {
			if text == "" {
				continue
			}
			line = line[:idx] + text
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func user(name string) http.Header { return http.Header{"X-User": {name}} }

// The route's local limit: 2 per hour per user, then 429
// local_rate_limited; other users are not limited.
func TestLocalRateLimitFilter(t *testing.T) {
	f, _ := rateLimitFixture(t, "", &rlsFake{})
	for i, want := range []int{200, 200, 429} {
		r := do(t, f, "GET", "/local", user("alice"))
		if r.status != want {
			t.Fatalf("alice request %d: %d, want %d", i+1, r.status, want)
		}
		if want == 429 && (r.body != "local_rate_limited" || r.header.Get("Content-Type") != "text/plain") {
			t.Fatalf("limited reply %+v", r)
		}
	}
	if r := do(t, f, "GET", "/local", user("bob")); r.status != 200 {
		t.Fatalf("bob: %d", r.status)
	}
	if r := do(t, f, "GET", "/local", nil); r.status != 200 {
		t.Fatalf("no user (no descriptor, unlimited default bucket): %d", r.status)
	}
}

// The global filter asks the service with the route's descriptors:
// OVER_LIMIT is a 429 with x-envoy-ratelimited and the service's headers;
// OK goes on with the service's request and response headers; a request
// producing no descriptor, or routed to a cluster the proxy lacks, does
// not ask.
func TestGlobalRateLimitFilter(t *testing.T) {
	svc := &rlsFake{}
	f, b := rateLimitFixture(t, "", svc)
	r := do(t, f, "GET", "/global", user("alice"))
	if r.status != 200 || r.header.Get("X-Rl") != "ok" {
		t.Fatalf("alice: %+v", r)
	}
	if got := b.requests(); len(got) != 1 || got[0].Header.Get("X-Rl-Checked") != "1" {
		t.Fatalf("backend got %+v", got)
	}
	r = do(t, f, "GET", "/global", user("blocked"))
	if r.status != 429 || r.header.Get("X-Envoy-Ratelimited") != "true" || r.header.Get("X-Rl") != "over" || r.body != "" {
		t.Fatalf("blocked: %+v", r)
	}
	if len(b.requests()) != 1 {
		t.Fatal("the limited request reached the backend")
	}
	if svc.count() != 2 {
		t.Fatalf("%d calls, want 2", svc.count())
	}
	if r := do(t, f, "GET", "/global", nil); r.status != 200 || svc.count() != 2 {
		t.Fatalf("no user: %d, %d calls (want no call)", r.status, svc.count())
	}
	if r := do(t, f, "GET", "/missing", nil); r.status != 503 || svc.count() != 2 {
		t.Fatalf("unknown cluster: %d, %d calls (want the router's 503, no call)", r.status, svc.count())
	}
	call := svc.calls[0]
	if call.GetDomain() != "test" || len(call.GetDescriptors()) != 1 || len(call.GetDescriptors()[0].GetEntries()) != 2 {
		t.Fatalf("first call %v", call)
	}
}

// A service that does not answer within the timeout lets the request
// through, or with failure_mode_deny answers 500.
func TestGlobalRateLimitFailureMode(t *testing.T) {
	f, _ := rateLimitFixture(t, "", &rlsFake{block: true})
	if r := do(t, f, "GET", "/global", user("alice")); r.status != 200 {
		t.Fatalf("fail open: %d", r.status)
	}
	f, b := rateLimitFixture(t, "failureModeDeny: true", &rlsFake{block: true})
	if r := do(t, f, "GET", "/global", user("alice")); r.status != 500 || r.header.Get("X-Envoy-Ratelimited") != "" {
		t.Fatalf("fail closed: %+v", r)
	}
	if len(b.requests()) != 0 {
		t.Fatal("the request reached the backend")
	}
}

// The rate limit filters are non-terminal: one last in the chain is
// rejected.
func TestRateLimitFilterLast(t *testing.T) {
	h := &hcmv3.HttpConnectionManager{}
	j, err := yaml.YAMLToJSON([]byte(replaceLine(replaceLine(rateLimitHCM, "FAILURE", ""), "TIMEOUT", "")))
	if err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(j, h); err != nil {
		t.Fatal(err)
	}
	h.HttpFilters = h.HttpFilters[:2]
	_, err = Compile(h, "hcm")
	want := "hcm.http_filters[1]: invalid: non-terminal filter named envoy.filters.http.ratelimit is the last filter in a http filter chain"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
