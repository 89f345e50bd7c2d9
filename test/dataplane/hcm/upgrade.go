package hcm

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// compileUpgrades reads upgrade_configs: the upgrade types (compared
// case-insensitively, as Envoy does) the connection manager lets through.
func (c *Config) compileUpgrades(ucs []*hcmv3.HttpConnectionManager_UpgradeConfig, path string) error {
	for i, u := range ucs {
		t := strings.ToLower(u.GetUpgradeType())
		if t == "" {
			return fmt.Errorf("%s[%d].upgrade_type: invalid: empty", path, i)
		}
		c.upgrades = append(c.upgrades, t)
	}
	return nil
}

// upgradeAllowed reports whether upgrade_configs lets an Upgrade through.
func (c *Config) upgradeAllowed(upgrade string) bool {
	for _, t := range c.upgrades {
		if strings.EqualFold(t, upgrade) {
			return true
		}
	}
	return false
}

// forwardUpgrade sends an HTTP/1.1 upgrade request (WebSocket) upstream
// as Envoy does: one attempt with the Upgrade and Connection headers
// kept. When the upstream answers 101 the connection becomes a byte
// stream both ways until either side closes; any other response is sent
// as usual. Upgrades over an HTTP/2 upstream (extended CONNECT) are not
// implemented: they are answered 503.
func (s *stream) forwardUpgrade(f *router.Forward, upgrade string) {
	cluster := s.h.deps.Clusters(f.Cluster)
	if cluster == nil {
		s.reply(f.ClusterNotFoundStatus, "", f.MutateResponse)
		return
	}
	if cluster.HTTP2() {
		s.h.deps.Logger.Info("an upgrade over an HTTP/2 upstream is not implemented by the test data plane",
			"cluster", f.Cluster)
		s.reply(http.StatusServiceUnavailable, "", f.MutateResponse)
		return
	}
	host, err := cluster.Pick()
	if err != nil {
		s.reply(http.StatusServiceUnavailable, bodyNoHealthyUpstream, f.MutateResponse)
		return
	}
	headers := f.Headers.Clone()
	headers.Set("upgrade", upgrade)
	req := buildRequest(s.r.Context(), cluster, host.Address, f.Method, f.Authority, f.Path, headers, nil, 0)
	req.Header.Set("Connection", "Upgrade")
	resp, err := cluster.HTTPTransport().RoundTrip(req)
	if err != nil {
		s.respond(s.classify(s.r.Context(), s.r.Context(), err), f, false)
		return
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		s.respond(outcome{resp: resp, release: func() {}}, f, false)
		return
	}
	upstream, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		_ = resp.Body.Close()
		s.reply(http.StatusBadGateway, "", f.MutateResponse)
		return
	}
	s.switchProtocols(resp, upstream, f)
}

// switchProtocols sends the 101 response downstream and then copies
// bytes both ways; the proxy's Background ends the tunnel when the proxy
// stops.
func (s *stream) switchProtocols(resp *http.Response, upstream io.ReadWriteCloser, f *router.Forward) {
	conn, rw, err := http.NewResponseController(s.w).Hijack()
	if err != nil {
		_ = upstream.Close()
		s.reply(http.StatusInternalServerError, "", f.MutateResponse)
		return
	}
	h := fromHTTP(resp.Header)
	f.MutateResponse(h)
	if err := writeSwitching(rw, h); err != nil {
		_ = conn.Close()
		_ = upstream.Close()
		return
	}
	tunnel(s.h.deps.Background, conn, rw.Reader, upstream)
}

// writeSwitching writes the 101 response with the upstream's headers
// (Upgrade and Connection included) and what the connection manager adds.
func writeSwitching(rw *bufio.ReadWriter, h router.Headers) error {
	_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	for _, name := range h.Names() {
		for _, v := range h.Values(name) {
			_, _ = rw.WriteString(name + ": " + v + "\r\n")
		}
	}
	_, _ = rw.WriteString("server: envoy\r\n\r\n")
	return rw.Flush()
}

// tunnel copies bytes between the downstream connection (whose buffered
// reader may hold bytes already read) and the upstream one until either
// side is done, then closes both. It runs in bg, which closes both when
// the proxy stops.
func tunnel(bg *Background, down net.Conn, buffered io.Reader, up io.ReadWriteCloser) {
	var once sync.Once
	closeBoth := func() { once.Do(func() { _ = down.Close(); _ = up.Close() }) }
	done := make(chan struct{})
	bg.Go(func(ctx context.Context) {
		select {
		case <-ctx.Done():
		case <-done:
		}
		closeBoth()
	})
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = io.Copy(up, buffered); closeBoth() })
	wg.Go(func() { _, _ = io.Copy(down, up); closeBoth() })
	wg.Wait()
	close(done)
}
