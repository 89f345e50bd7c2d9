package hcm

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// raw sends request bytes as written and returns the status line and
// the body.
func raw(t *testing.T, f *fixture, request string) (string, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(f.url, "http://"), waitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufioReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status, string(b)
}

func TestRequestChecks(t *testing.T) {
	b := newBackend(t, nil)
	f := newFixture(t, config(nil), routes(prefixTo("/", "b", nil)), staticCluster(t, "b", b.addr))
	tests := []struct {
		name, request, status string
	}{
		{"HTTP/1.0 is refused", "GET / HTTP/1.0\r\nHost: a\r\n\r\n", "426 Upgrade Required"},
		{"asterisk form", "OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "404 Not Found"},
		{"fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "400 Bad Request"},
		{"upgrade without upgrade_configs", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
			"403 Forbidden"},
		{"path normalization fails", "GET /a%00 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "400 Bad Request"},
		{"absolute form", "GET http://other.example/abs?q HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "200 OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := raw(t, f, tt.request); status != tt.status {
				t.Fatalf("status %q (%q), want %q", status, body, tt.status)
			}
		})
	}
	got := b.requests()
	if len(got) != 1 || got[0].Path != "/abs?q" || got[0].Host != "other.example" {
		t.Errorf("absolute-form request reached the backend as %+v, want /abs?q for other.example", got)
	}
}

func TestPathNormalization(t *testing.T) {
	b := newBackend(t, nil)
	tests := []struct {
		name    string
		action  hcmv3.HttpConnectionManager_PathWithEscapedSlashesAction
		path    string
		status  int
		want    string // path the backend sees, or Location of a redirect
		noMerge bool
	}{
		{"dot segments", hcmv3.HttpConnectionManager_KEEP_UNCHANGED, "/a/./b/../c?x=/../y", 200, "/a/c?x=/../y", false},
		{"merge slashes", hcmv3.HttpConnectionManager_KEEP_UNCHANGED, "//a///b", 200, "/a/b", false},
		{"slashes kept without merge_slashes", hcmv3.HttpConnectionManager_KEEP_UNCHANGED, "/a//b", 200, "/a//b", true},
		{"unreserved escapes decoded", hcmv3.HttpConnectionManager_KEEP_UNCHANGED, "/%7Euser/%61", 200, "/~user/a", false},
		{"escaped slash kept", hcmv3.HttpConnectionManager_KEEP_UNCHANGED, "/a%2Fb", 200, "/a%2Fb", false},
		{"escaped slash rejected", hcmv3.HttpConnectionManager_REJECT_REQUEST, "/a%2Fb", 400, "", false},
		{"escaped slash redirected", hcmv3.HttpConnectionManager_UNESCAPE_AND_REDIRECT, "/a%2Fb", 307, "/a/b", false},
		{"escaped slash forwarded", hcmv3.HttpConnectionManager_UNESCAPE_AND_FORWARD, "/a%2F..%2Fb", 200, "/b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, config(func(c *Config) { c.escapedSlashes = tt.action; c.mergeSlashes = !tt.noMerge }),
				routes(prefixTo("/", "b", nil)), staticCluster(t, "b", b.addr))
			r := do(t, f, "GET", tt.path, nil)
			if r.status != tt.status {
				t.Fatalf("status %d (%q), want %d", r.status, r.body, tt.status)
			}
			switch tt.status {
			case 200:
				var s seen
				if err := json.Unmarshal([]byte(r.body), &s); err != nil {
					t.Fatal(err)
				}
				if s.Path != tt.want {
					t.Errorf("backend saw %q, want %q", s.Path, tt.want)
				}
			case 307:
				if loc := r.header.Get("Location"); loc != tt.want {
					t.Errorf("Location %q, want %q", loc, tt.want)
				}
			}
		})
	}
}

// TestUpstreamRequest checks what the router sends upstream: the
// sanitized headers, the expected timeout, and nothing Go would add.
func TestUpstreamRequest(t *testing.T) {
	b := newBackend(t, nil)
	f := newFixture(t, config(nil), routes(prefixTo("/", "b", nil)), staticCluster(t, "b", b.addr))
	r := do(t, f, "GET", "/x?y=1", http.Header{"X-Envoy-Retry-On": {"5xx"}, "Expect": {"100-continue"}, "X-Custom": {"a", "b"}})
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	got := b.requests()[0]
	h := got.Header
	if got.Path != "/x?y=1" || got.Host != "example.com" {
		t.Errorf("request line %q host %q", got.Path, got.Host)
	}
	checks := map[string]string{
		"X-Forwarded-Proto": "http", "X-Envoy-Expected-Rq-Timeout-Ms": "15000", "X-Envoy-External-Address": "127.0.0.1",
		"X-Forwarded-For": "10.1.2.3", "User-Agent": "", "Accept-Encoding": "", "X-Envoy-Retry-On": "", "Expect": "",
	}
	for k, want := range checks {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
	if strings.Join(h.Values("X-Custom"), ",") != "a,b" {
		t.Errorf("X-Custom = %q, want both values", h.Values("X-Custom"))
	}
}
