package listener

import (
	"net"
	"net/netip"
)

// handle runs the listener filters on an accepted connection, selects its
// filter chain (else the default chain; else the connection is closed, as
// Envoy closes connections no chain matches) and hands it over.
func (l *Listener) handle(c net.Conn) {
	info := connInfo{transport: transportRaw}
	if ap, err := netip.ParseAddrPort(c.LocalAddr().String()); err == nil {
		info.dstPort = uint32(ap.Port())
	}
	if l.inspector {
		inspected, ci, ok := inspect(c)
		if !ok {
			_ = c.Close()
			return
		}
		ci.dstPort = info.dstPort
		c, info = inspected, ci
	}
	ch := findChain(l.chains, info)
	if ch == nil {
		ch = l.fallback
	}
	if ch == nil {
		_ = c.Close()
		return
	}
	if rt := l.runtimes[ch]; rt == nil || !rt.serve(c) {
		_ = c.Close()
	}
}
