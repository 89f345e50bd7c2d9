package cluster

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// dialTimeout bounds a connection to an endpoint.
const dialTimeout = 10 * time.Second

// frontend is one listening address of the service proxy: a Service's
// ClusterIP or load balancer address and port. It forwards each accepted
// TCP connection to the next of its backends, round robin, and resets
// connections when there is none, as a Service without ready endpoints
// refuses them.
type frontend struct {
	addr     netip.AddrPort
	ln       net.Listener
	log      logr.Logger
	backends atomic.Pointer[[]netip.AddrPort]
	next     atomic.Uint64

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// listenFrontend binds addr and starts accepting.
func listenFrontend(addr netip.AddrPort, log logr.Logger) (*frontend, error) {
	ln, err := net.Listen("tcp", addr.String())
	if err != nil {
		return nil, err
	}
	f := &frontend{addr: addr, ln: ln, log: log, conns: map[net.Conn]struct{}{}}
	f.backends.Store(&[]netip.AddrPort{})
	f.wg.Go(f.accept)
	return f, nil
}

// setBackends replaces the endpoints connections go to.
func (f *frontend) setBackends(b []netip.AddrPort) { f.backends.Store(&b) }

func (f *frontend) accept() {
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return // closed
		}
		if !f.track(conn) {
			_ = conn.Close()
			return
		}
		f.wg.Go(func() { f.serve(conn) })
	}
}

// track remembers an open connection, unless the frontend is closed.
func (f *frontend) track(conns ...net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	for _, c := range conns {
		f.conns[c] = struct{}{}
	}
	return true
}

func (f *frontend) untrack(conns ...net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range conns {
		delete(f.conns, c)
		_ = c.Close()
	}
}

// serve forwards one connection.
func (f *frontend) serve(down net.Conn) {
	backends := *f.backends.Load()
	if len(backends) == 0 {
		reset(down)
		f.untrack(down)
		return
	}
	target := backends[int(f.next.Add(1)-1)%len(backends)] //nolint:gosec // a small index
	up, err := net.DialTimeout("tcp", target.String(), dialTimeout)
	if err != nil {
		f.log.V(1).Info("Endpoint refused a forwarded connection", "frontend", f.addr, "endpoint", target, "err", err.Error())
		reset(down)
		f.untrack(down)
		return
	}
	if !f.track(up) {
		f.untrack(down, up)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { copyHalf(up, down) })
	copyHalf(down, up)
	wg.Wait()
	f.untrack(down, up)
}

// copyHalf copies one direction, then closes the writing side of dst so
// the peer sees the end of the stream.
func copyHalf(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		_ = dst.Close()
	}
}

// reset closes a connection with a TCP reset.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// close stops accepting, closes open connections and waits for the
// goroutines.
func (f *frontend) close() error {
	err := f.ln.Close()
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
