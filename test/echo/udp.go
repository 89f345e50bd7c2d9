package echo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// udpMaxDatagram is the largest request the UDP mode reads whole; longer
// datagrams are truncated to it, as a fixed read buffer does.
const udpMaxDatagram = 1024

// udpAnswer is the JSON the UDP mode returns for every datagram: the
// request's bytes and who answered.
type udpAnswer struct {
	Request   string `json:"request"`
	Namespace string `json:"namespace"`
	Ingress   string `json:"ingress"`
	Service   string `json:"service"`
	Pod       string `json:"pod"`
}

// startUDP answers every datagram on UDPPort, to its sender, with a udpAnswer.
func (s *Server) startUDP() error {
	bind := netip.AddrPortFrom(s.cfg.Addr, uint16(s.cfg.UDPPort)) //nolint:gosec // checked by ConfigFromEnv
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(bind))
	if err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	bound := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	s.mu.Lock()
	s.addrs[ListenerUDP] = bound
	s.mu.Unlock()
	_, _ = fmt.Fprintf(s.cfg.Log, "Starting server, listening on %s (%s)\n", bound, ListenerUDP)
	s.onStop(func(context.Context) error { return conn.Close() })
	s.serve(func() error { return s.serveUDP(conn) }, net.ErrClosed)
	return nil
}

// serveUDP reads datagrams until the socket is closed. A failed reply is
// logged; the next datagram is still answered.
func (s *Server) serveUDP(conn *net.UDPConn) error {
	buf := make([]byte, udpMaxDatagram)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			_, _ = fmt.Fprintf(s.cfg.Log, "UDP read failed: %v\n", err)
			continue
		}
		payload, err := json.Marshal(udpAnswer{
			Request: string(buf[:n]), Namespace: s.cfg.Namespace, Ingress: s.cfg.Ingress,
			Service: s.cfg.Service, Pod: s.cfg.Pod,
		})
		if err != nil {
			return err
		}
		if _, err := conn.WriteToUDPAddrPort(payload, from); err != nil {
			_, _ = fmt.Fprintf(s.cfg.Log, "UDP reply to %s failed: %v\n", from, err)
		}
	}
}
