package cluster

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

const (
	// udpIdleTimeout ends a UDP session with no datagram either way for
	// this long, as connection tracking forgets an idle UDP flow (30 s).
	udpIdleTimeout = 30 * time.Second
	// udpMaxDatagram is the largest datagram forwarded whole.
	udpMaxDatagram = 64 * 1024
)

// udpFrontend listens on a UDP port the simulated kube-proxy serves. Each client address
// gets a session, as connection tracking gives a UDP flow: the first
// datagram picks the next backend, round robin, and the session's later
// datagrams go to the same one; replies come back from the frontend's
// address. A session idle for udpIdleTimeout ends. Datagrams are dropped
// when the Service has no ready endpoint.
type udpFrontend struct {
	addr     netip.AddrPort
	conn     *net.UDPConn
	log      logr.Logger
	backends atomic.Pointer[[]netip.AddrPort]
	next     atomic.Uint64

	mu       sync.Mutex
	sessions map[netip.AddrPort]*udpSession
	closed   bool
	wg       sync.WaitGroup
}

// udpSession is one client's flow: a socket connected to its backend.
type udpSession struct {
	up       *net.UDPConn
	lastSeen atomic.Int64 // unix nanoseconds of the last datagram either way
}

// listenUDPFrontend binds addr and starts forwarding.
func listenUDPFrontend(addr netip.AddrPort, log logr.Logger) (*udpFrontend, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return nil, err
	}
	f := &udpFrontend{addr: addr, conn: conn, log: log, sessions: map[netip.AddrPort]*udpSession{}}
	f.backends.Store(&[]netip.AddrPort{})
	f.wg.Go(f.receive)
	return f, nil
}

// setBackends replaces the endpoints new sessions go to.
func (f *udpFrontend) setBackends(b []netip.AddrPort) { f.backends.Store(&b) }

// receive forwards every client datagram to its session's backend.
func (f *udpFrontend) receive() {
	buf := make([]byte, udpMaxDatagram)
	for {
		n, client, err := f.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue // a transient error (an ICMP report) ends nothing
		}
		s := f.session(client)
		if s == nil {
			continue
		}
		s.lastSeen.Store(time.Now().UnixNano())
		if _, err := s.up.Write(buf[:n]); err != nil {
			f.log.V(1).Info("Endpoint did not take a forwarded datagram", "frontend", f.addr, "err", err.Error())
		}
	}
}

// session returns the client's session, opening one to the next backend;
// nil when there is no backend or the frontend is closed.
func (f *udpFrontend) session(client netip.AddrPort) *udpSession {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.sessions[client]; ok || f.closed {
		return s
	}
	backends := *f.backends.Load()
	if len(backends) == 0 {
		return nil
	}
	target := backends[int(f.next.Add(1)-1)%len(backends)] //nolint:gosec // a small index
	up, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(target))
	if err != nil {
		f.log.V(1).Info("Cannot open a UDP session", "frontend", f.addr, "endpoint", target, "err", err.Error())
		return nil
	}
	s := &udpSession{up: up}
	s.lastSeen.Store(time.Now().UnixNano())
	f.sessions[client] = s
	f.wg.Go(func() { f.reply(client, s) })
	return s
}

// reply sends the backend's datagrams to the client until the session is
// idle for udpIdleTimeout or the frontend closes.
func (f *udpFrontend) reply(client netip.AddrPort, s *udpSession) {
	defer func() {
		f.mu.Lock()
		delete(f.sessions, client)
		f.mu.Unlock()
		_ = s.up.Close()
	}()
	buf := make([]byte, udpMaxDatagram)
	for {
		idleUntil := time.Unix(0, s.lastSeen.Load()).Add(udpIdleTimeout)
		if !time.Now().Before(idleUntil) {
			return
		}
		if err := s.up.SetReadDeadline(idleUntil); err != nil {
			return
		}
		n, err := s.up.Read(buf)
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			continue // the loop checks whether the client sent meanwhile
		case errors.Is(err, net.ErrClosed):
			return
		case err != nil:
			continue // ICMP from the backend: the session stays until idle
		}
		s.lastSeen.Store(time.Now().UnixNano())
		if _, err := f.conn.WriteToUDPAddrPort(buf[:n], client); errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// close stops forwarding, ends every session and waits for the goroutines.
func (f *udpFrontend) close() error {
	err := f.conn.Close()
	f.mu.Lock()
	f.closed = true
	for _, s := range f.sessions {
		_ = s.up.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
