package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// adminServer is the admin interface: /ready and /config_dump.
type adminServer struct {
	addr netip.AddrPort
	srv  *http.Server
	done chan struct{}
}

// startAdmin binds the admin address (with the PodIP mapping) and writes
// it to --admin-address-path when given.
func (p *Proxy) startAdmin() (*adminServer, error) {
	sa := p.bootstrap.GetAdmin().GetAddress().GetSocketAddress()
	if sa == nil {
		return nil, nil
	}
	ip, err := netip.ParseAddr(sa.GetAddress())
	if err != nil {
		return nil, fmt.Errorf("bootstrap: admin.address.socket_address.address: malformed IP address: %s", sa.GetAddress())
	}
	if ip.IsUnspecified() || ip == netip.IPv6Loopback() || ip == netip.AddrFrom4([4]byte{127, 0, 0, 1}) {
		ip = p.podIP
	}
	ln, err := net.Listen("tcp", netip.AddrPortFrom(ip, uint16(sa.GetPortValue())).String())
	if err != nil {
		return nil, fmt.Errorf("bootstrap: admin.address: cannot bind: %w", err)
	}
	a := &adminServer{done: make(chan struct{})}
	a.addr, _ = netip.ParseAddrPort(ln.Addr().String())
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", p.serveReady)
	mux.HandleFunc("/config_dump", p.serveConfigDump)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(a.done)
		_ = a.srv.Serve(ln)
	}()
	if path := p.cl.adminAddressPath; path != "" {
		if err := p.opts.WriteFile(path, []byte(a.addr.String())); err != nil {
			a.close()
			return nil, fmt.Errorf("--admin-address-path: %w", err)
		}
	}
	return a, nil
}

func (a *adminServer) close() {
	if a == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = a.srv.Close()
	}
	<-a.done
}

// serveReady is Envoy's /ready: 200 "LIVE" once initialized, else 503
// with the state.
func (p *Proxy) serveReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	if p.Ready() {
		_, _ = fmt.Fprintln(w, "LIVE")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = fmt.Fprintln(w, "PRE_INITIALIZING")
}
