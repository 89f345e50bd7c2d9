package hcm

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

func TestWebSocketUpgrade(t *testing.T) {
	srv := httptest.NewServer(websocket.Handler(func(ws *websocket.Conn) { _, _ = io.Copy(ws, ws) }))
	t.Cleanup(srv.Close)
	backend := netip.MustParseAddrPort(srv.Listener.Addr().String())
	f := newFixture(t, config(func(c *Config) { c.upgrades = []string{"websocket"} }), routes(prefixTo("/", "c", nil)),
		staticCluster(t, "c", backend))
	cfg, err := websocket.NewConfig("ws"+f.url[len("http"):]+"/ws", "http://origin.example")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		t.Fatalf("dial through the proxy: %v", err)
	}
	defer func() { _ = ws.Close() }()
	_ = ws.SetDeadline(time.Now().Add(waitTimeout))
	for _, msg := range []string{"hello", "again"} {
		if err := websocket.Message.Send(ws, msg); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := websocket.Message.Receive(ws, &got); err != nil {
			t.Fatal(err)
		}
		if got != msg {
			t.Errorf("echo = %q, want %q", got, msg)
		}
	}
}

func TestUpgradeNotConfigured(t *testing.T) {
	b := newBackend(t, nil)
	f := newFixture(t, config(nil), routes(prefixTo("/", "c", nil)), staticCluster(t, "c", b.addr))
	h := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}}
	if r := do(t, f, "GET", "/ws", h); r.status != http.StatusForbidden || len(b.requests()) != 0 {
		t.Errorf("upgrade without upgrade_configs: %d, %d backend requests; want 403 and none", r.status, len(b.requests()))
	}
	g := newFixture(t, config(func(c *Config) { c.upgrades = []string{"websocket"} }), routes(prefixTo("/", "c", nil)),
		staticCluster(t, "c", b.addr))
	if r := do(t, g, "GET", "/ws", http.Header{"Connection": {"Upgrade"}, "Upgrade": {"h2c"}}); r.status != http.StatusForbidden {
		t.Errorf("upgrade of a type not configured: %d, want 403", r.status)
	}
	// A backend that does not switch protocols answers as usual.
	if r := do(t, g, "GET", "/ws", h); r.status != http.StatusOK || len(b.requests()) != 1 || b.requests()[0].Header.Get("Upgrade") != "websocket" {
		t.Errorf("upgrade refused by the backend: %d %v", r.status, b.requests())
	}
}
