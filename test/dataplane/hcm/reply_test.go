package hcm

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"
)

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddrPort(ln.Addr().String())
	_ = ln.Close()
	return a
}

func TestLocalReplies(t *testing.T) {
	release := make(chan struct{})
	slow := newBackend(t, func(http.ResponseWriter, *http.Request) { <-release })
	t.Cleanup(func() { close(release) }) // before the backend closes: cleanups run last-in first-out
	f := newFixture(t, config(nil), routes(
		prefixTo("/missing-cluster", "nope", nil),
		prefixTo("/no-hosts", "empty", nil),
		prefixTo("/refused", "refused", nil),
		prefixTo("/slow", "slow", func(a *routev3.RouteAction) { a.Timeout = durationpb.New(200 * time.Millisecond) }),
	), staticCluster(t, "empty"), staticCluster(t, "refused", closedPort(t)), staticCluster(t, "slow", slow.addr))
	tests := []struct {
		name, method, path string
		status             int
		body               string
	}{
		{"no route", "GET", "/nothing", 404, ""},
		{"cluster not found", "GET", "/missing-cluster", 503, ""},
		{"no healthy upstream", "GET", "/no-hosts", 503, "no healthy upstream"},
		{"no healthy upstream, HEAD", "HEAD", "/no-hosts", 503, ""},
		{"connection refused", "GET", "/refused", 503, "upstream connect error or disconnect/reset before headers. " +
			"reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused"},
		{"route timeout", "GET", "/slow", 504, "upstream request timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, f, tt.method, tt.path, nil)
			if r.status != tt.status || r.body != tt.body {
				t.Fatalf("got %d %q, want %d %q", r.status, r.body, tt.status, tt.body)
			}
			if r.header.Get("Server") != "envoy" || r.header.Get("Date") == "" {
				t.Errorf("headers %v: want server: envoy and a date", r.header)
			}
			wantType := ""
			if tt.body != "" || tt.method == "HEAD" && tt.status == 503 {
				wantType = "text/plain"
			}
			if got := r.header.Get("Content-Type"); got != wantType {
				t.Errorf("content-type = %q, want %q", got, wantType)
			}
			if tt.method == "GET" && r.header.Get("Content-Length") != strconv.Itoa(len(tt.body)) {
				t.Errorf("content-length = %q", r.header.Get("Content-Length"))
			}
		})
	}
}

func TestResponseHeaders(t *testing.T) {
	b := newBackend(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Server", "backend")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-From-Backend", "1")
		_, _ = w.Write([]byte("hello"))
	})
	rc := routes(prefixTo("/", "b", nil))
	rc.ResponseHeadersToAdd = nil
	rc.VirtualHosts[0].ResponseHeadersToRemove = []string{"x-from-backend"}
	for _, suppress := range []bool{false, true} {
		f := newFixture(t, config(func(c *Config) { c.suppressEnvoyHeaders = suppress }), rc, staticCluster(t, "b", b.addr))
		r := do(t, f, "GET", "/", nil)
		if r.status != 200 || r.body != "hello" || r.header.Get("Server") != "envoy" || r.header.Get("Keep-Alive") != "" ||
			r.header.Get("X-From-Backend") != "" {
			t.Errorf("suppress=%v: %d %q %v", suppress, r.status, r.body, r.header)
		}
		if got := r.header.Get("X-Envoy-Upstream-Service-Time") != ""; got == suppress {
			t.Errorf("suppress_envoy_headers=%v: x-envoy-upstream-service-time present = %v", suppress, got)
		}
	}
}

func TestHealthCheckFilter(t *testing.T) {
	hc, err := compileHealthCheck(healthCheckProto("/ready"), "hc")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, config(func(c *Config) { c.healthCheck = hc }), routes())
	if r := do(t, f, "GET", "/ready", nil); r.status != 200 || r.body != "" {
		t.Errorf("live: %d %q", r.status, r.body)
	}
	if r := do(t, f, "GET", "/other", nil); r.status != 404 {
		t.Errorf("other path: %d, want the router's 404", r.status)
	}
	f.live = false
	if r := do(t, f, "GET", "/ready", nil); r.status != 503 {
		t.Errorf("not live: %d, want 503", r.status)
	}
}
