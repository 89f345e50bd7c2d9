package hcm

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func retryOn(on string, n uint32) func(*routev3.RouteAction) {
	return func(a *routev3.RouteAction) {
		a.RetryPolicy = &routev3.RetryPolicy{RetryOn: on, NumRetries: wrapperspb.UInt32(n)}
	}
}

// failFirst answers status to the first n requests, then 200 with the
// request body.
func failFirst(n int32, status int) (http.HandlerFunc, *atomic.Int32) {
	var count atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			w.WriteHeader(status)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}, &count
}

// retryCodes retries the given status codes (and resets) n times, as the
// xDS translator writes a Gateway API retry stanza.
func retryCodes(n uint32, codes ...uint32) func(*routev3.RouteAction) {
	return func(a *routev3.RouteAction) {
		a.RetryPolicy = &routev3.RetryPolicy{RetryOn: "retriable-status-codes,connect-failure,reset",
			NumRetries: wrapperspb.UInt32(n), RetriableStatusCodes: codes,
			RetryBackOff: &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(time.Millisecond)}}
	}
}

func TestRetries(t *testing.T) {
	refused := closedPort(t)
	tests := []struct {
		name     string
		policy   func(*routev3.RouteAction)
		fail     int32
		status   int
		hosts    int // 0: only the refused host; 1: a refused host then the backend
		want     int
		wantBody string
		attempts int32
	}{
		{"5xx retried", retryOn("5xx", 2), 1, 503, 1, 200, "ok", 2},
		{"gateway-error ignores 500", retryOn("gateway-error", 2), 1, 500, 1, 500, "", 1},
		{"gateway-error retries 502", retryOn("gateway-error", 2), 2, 502, 1, 200, "ok", 3},
		{"retries exhausted: last response", retryOn("5xx", 1), 5, 503, 1, 503, "", 2},
		{"retriable-4xx", retryOn("retriable-4xx", 1), 1, 409, 1, 200, "ok", 2},
		{"no policy", nil, 1, 503, 1, 503, "", 1},
		{"retriable status code retried", retryCodes(3, 500), 2, 500, 1, 200, "ok", 3},
		{"retriable status codes, retries exhausted", retryCodes(3, 500), 4, 500, 1, 500, "", 4},
		{"status code not listed", retryCodes(3, 500), 2, 503, 1, 503, "", 1},
		{"listed 4xx code retried", retryCodes(1, 429, 504), 1, 429, 1, 200, "ok", 2},
		{"codes need retriable-status-codes", func(a *routev3.RouteAction) {
			a.RetryPolicy = &routev3.RetryPolicy{RetryOn: "reset", RetriableStatusCodes: []uint32{500}}
		}, 1, 500, 1, 500, "", 1},
		{"connect failure retried on another host", retryOn("connect-failure", 1), 0, 0, 2, 200, "ok", 1},
		{"connect failure, retries exhausted", retryOn("connect-failure", 1), 0, 0, 0, 503,
			"upstream connect error or disconnect/reset before headers. retried and the latest reset reason: " +
				"remote connection failure, transport failure reason: delayed connect error: Connection refused", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handler, count := failFirst(tt.fail, tt.status)
			b := newBackend(t, handler)
			var c = staticCluster(t, "b", b.addr)
			switch tt.hosts {
			case 0:
				c = staticCluster(t, "b", refused)
			case 2:
				c = staticCluster(t, "b", refused, b.addr)
			}
			f := newFixture(t, config(nil), routes(prefixTo("/", "b", tt.policy)), c)
			r := do(t, f, "GET", "/", nil)
			if r.status != tt.want || r.body != tt.wantBody {
				t.Fatalf("got %d %q, want %d %q", r.status, r.body, tt.want, tt.wantBody)
			}
			if got := count.Load(); got != tt.attempts {
				t.Errorf("backend got %d requests, want %d", got, tt.attempts)
			}
		})
	}
}

// TestRetryReplaysTheBody: a buffered request body goes to every attempt.
func TestRetryReplaysTheBody(t *testing.T) {
	var count atomic.Int32
	b := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) == 1 {
			w.WriteHeader(503)
		}
	})
	c := staticCluster(t, "b", b.addr)
	f := newFixture(t, config(nil), routes(prefixTo("/", "b", retryOn("5xx", 1))), c)
	status, _ := raw(t, f, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
	if status != "200 OK" || count.Load() != 2 {
		t.Fatalf("status %q after %d attempts", status, count.Load())
	}
	for i, r := range b.requests() {
		if r.Body != "hello" {
			t.Errorf("attempt %d got body %q", i, r.Body)
		}
	}
}

func TestPerTryTimeout(t *testing.T) {
	release := make(chan struct{})
	var count atomic.Int32
	b := newBackend(t, func(w http.ResponseWriter, _ *http.Request) {
		if count.Add(1) == 1 {
			<-release // the first attempt never answers in time
		}
		_, _ = w.Write([]byte("second"))
	})
	t.Cleanup(func() { close(release) })
	policy := func(a *routev3.RouteAction) {
		a.RetryPolicy = &routev3.RetryPolicy{RetryOn: "5xx", NumRetries: wrapperspb.UInt32(1),
			PerTryTimeout: durationpb.New(200 * time.Millisecond)}
	}
	f := newFixture(t, config(nil), routes(prefixTo("/", "b", policy)), staticCluster(t, "b", b.addr))
	if r := do(t, f, "GET", "/", nil); r.status != 200 || r.body != "second" {
		t.Fatalf("got %d %q", r.status, r.body)
	}
	noRetry := func(a *routev3.RouteAction) {
		a.RetryPolicy = &routev3.RetryPolicy{NumRetries: wrapperspb.UInt32(0), PerTryTimeout: durationpb.New(200 * time.Millisecond)}
	}
	count.Store(0)
	f = newFixture(t, config(nil), routes(prefixTo("/", "b", noRetry)), staticCluster(t, "b", b.addr))
	if r := do(t, f, "GET", "/", nil); r.status != 504 || r.body != "upstream request timeout" {
		t.Fatalf("per-try timeout without retries: got %d %q", r.status, r.body)
	}
}

func TestMirror(t *testing.T) {
	main := newBackend(t, nil)
	shadowed := make(chan seen, 4)
	mirror := newBackend(t, func(_ http.ResponseWriter, r *http.Request) {
		shadowed <- seen{Method: r.Method, Path: r.RequestURI, Host: r.Host, Header: r.Header.Clone()}
	})
	policy := func(a *routev3.RouteAction) {
		a.RequestMirrorPolicies = []*routev3.RouteAction_RequestMirrorPolicy{{Cluster: "m"}, {Cluster: "absent"}}
	}
	f := newFixture(t, config(nil), routes(prefixTo("/", "b", policy)), staticCluster(t, "b", main.addr),
		staticCluster(t, "m", mirror.addr))
	status, _ := raw(t, f, "PUT /p?q HTTP/1.1\r\nHost: shop.example:8080\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
	if status != "200 OK" {
		t.Fatalf("status %q", status)
	}
	select {
	case s := <-shadowed:
		if s.Method != "PUT" || s.Path != "/p?q" || s.Host != "shop.example-shadow:8080" {
			t.Errorf("shadow request %+v", s)
		}
	case <-time.After(waitTimeout):
		t.Fatal("no shadow request")
	}
}

// TestStreamedResponse: the upstream body is streamed as it comes.
func TestStreamedResponse(t *testing.T) {
	next := make(chan struct{})
	b := newBackend(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "first ")
		w.(http.Flusher).Flush()
		<-next
		_, _ = io.WriteString(w, "second")
	})
	f := newFixture(t, config(nil), routes(prefixTo("/", "b", nil)), staticCluster(t, "b", b.addr))
	resp, err := http.Get(f.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	buf := make([]byte, 6)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first " {
		t.Fatalf("first chunk %q, %v", buf, err)
	}
	close(next)
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "second" {
		t.Fatalf("rest %q", rest)
	}
}

// TestStreamedBodyTimeout: the route timeout of a streamed request body
// starts when the body ended, seen from the transport's goroutine.
func TestStreamedBodyTimeout(t *testing.T) {
	release := make(chan struct{})
	b := newBackend(t, func(http.ResponseWriter, *http.Request) { <-release })
	t.Cleanup(func() { close(release) })
	timeout := func(a *routev3.RouteAction) { a.Timeout = durationpb.New(200 * time.Millisecond) }
	f := newFixture(t, config(nil), routes(prefixTo("/", "b", timeout)), staticCluster(t, "b", b.addr))
	status, body := raw(t, f, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"+
		"5\r\nhello\r\n0\r\n\r\n")
	if status != "504 Gateway Timeout" || body != "upstream request timeout" {
		t.Fatalf("got %q %q", status, body)
	}
}
