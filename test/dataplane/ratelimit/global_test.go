package ratelimit

import (
	"context"
	"net"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// fakeService answers ShouldRateLimit with answer, recording requests;
// block makes it wait for the call's end instead.
type fakeService struct {
	rlsv3.UnimplementedRateLimitServiceServer
	answer   *rlsv3.RateLimitResponse
	block    bool
	requests chan *rlsv3.RateLimitRequest
}

func (f *fakeService) ShouldRateLimit(ctx context.Context, r *rlsv3.RateLimitRequest) (*rlsv3.RateLimitResponse, error) {
	f.requests <- r
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.answer, nil
}

// serve runs the fake service on a loopback port until the test ends and
// returns a connection to it.
func serve(t *testing.T, f *fakeService) *grpc.ClientConn {
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
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		<-done
	})
	return conn
}

func parseGlobal(t *testing.T, y string) *ratelimitv3.RateLimit {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	c := &ratelimitv3.RateLimit{}
	if err := protojson.Unmarshal(j, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// globalConfig has a timeout no answer on a loaded machine exceeds; the
// failure test shortens it (its service never answers).
const globalConfig = `
domain: envoy-gateway
timeout: 30s
statPrefix: ratelimit
rateLimitService: {grpcService: {envoyGrpc: {clusterName: ratelimit}}, transportApiVersion: V3}
`

// The service gets the domain and the descriptors; its overall code
// decides, anything but OVER_LIMIT being OK; its headers and body come
// back.
func TestGlobalCall(t *testing.T) {
	g, err := CompileGlobal(parseGlobal(t, globalConfig), "cfg")
	if err != nil {
		t.Fatal(err)
	}
	if g.Domain != "envoy-gateway" || g.Cluster != "ratelimit" || g.Timeout.String() != "30s" || g.FailureModeDeny {
		t.Fatalf("compiled %+v", g)
	}
	ds := []router.Descriptor{{{Key: "rule", Value: "r"}, {Key: "header-0", Value: "alice"}}}
	for _, tc := range []struct {
		code rlsv3.RateLimitResponse_Code
		want Status
	}{
		{rlsv3.RateLimitResponse_OK, StatusOK},
		{rlsv3.RateLimitResponse_OVER_LIMIT, StatusOverLimit},
		{rlsv3.RateLimitResponse_UNKNOWN, StatusOK},
	} {
		f := &fakeService{requests: make(chan *rlsv3.RateLimitRequest, 1), answer: &rlsv3.RateLimitResponse{
			OverallCode:          tc.code,
			ResponseHeadersToAdd: []*corev3.HeaderValue{{Key: "x-rl", Value: "1"}},
			RawBody:              []byte("slow down"),
		}}
		res := g.Call(context.Background(), serve(t, f), ds)
		if res.Status != tc.want || res.Err != nil || string(res.Body) != "slow down" || len(res.ResponseHeaders) != 1 {
			t.Fatalf("%s: result %+v, want status %d", tc.code, res, tc.want)
		}
		req := <-f.requests
		if req.GetDomain() != "envoy-gateway" || len(req.GetDescriptors()) != 1 ||
			req.GetDescriptors()[0].GetEntries()[1].GetValue() != "alice" {
			t.Fatalf("request %v", req)
		}
	}
}

// A service that does not answer within the timeout is an error, as is
// one that cannot be reached.
func TestGlobalCallFailures(t *testing.T) {
	g, err := CompileGlobal(parseGlobal(t, strings.Replace(globalConfig, "timeout: 30s", "timeout: 0.2s", 1)), "cfg")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeService{requests: make(chan *rlsv3.RateLimitRequest, 1), block: true}
	res := g.Call(context.Background(), serve(t, f), []router.Descriptor{{{Key: "k", Value: "v"}}})
	if res.Status != StatusError || res.Err == nil {
		t.Fatalf("blocked service: %+v", res)
	}
	conn, err := grpc.NewClient("unix:///nonexistent/ratelimit.sock", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if res := g.Call(context.Background(), conn, []router.Descriptor{{{Key: "k", Value: "v"}}}); res.Status != StatusError {
		t.Fatalf("unreachable service: %+v", res)
	}
}

// What Envoy (and its proto rules) reject, and the defaults.
func TestCompileGlobal(t *testing.T) {
	g, err := CompileGlobal(parseGlobal(t, strings.Replace(globalConfig, "timeout: 30s", "failureModeDeny: true", 1)), "cfg")
	if err != nil || g.Timeout.String() != "20ms" || !g.FailureModeDeny {
		t.Fatalf("defaults: %+v %v", g, err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"no domain", "domain: envoy-gateway", "", "cfg: invalid:"},
		{"no service", "rateLimitService: {grpcService: {envoyGrpc: {clusterName: ratelimit}}, transportApiVersion: V3}", "", "cfg: invalid:"},
		{"v2 transport", "transportApiVersion: V3", "transportApiVersion: AUTO",
			"cfg.rate_limit_service.transport_api_version: invalid: AUTO is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileGlobal(parseGlobal(t, strings.Replace(globalConfig, tc.from, tc.to, 1)), "cfg")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
