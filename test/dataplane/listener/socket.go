package listener

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// socket is a bound listen socket, shared by the versions of a listener
// at one address (Envoy clones the socket into a listener's new version
// rather than binding again).
type socket struct {
	addr netip.AddrPort
	ln   net.Listener
	refs int // listener versions holding it; guarded by the manager's mutex

	current atomic.Pointer[Listener]

	mu      sync.Mutex
	started bool
	done    chan struct{}
}

// bind opens a listen socket on addr (port 0 picks one).
func bind(addr netip.AddrPort) (*socket, error) {
	ln, err := net.Listen("tcp", addr.String())
	if err != nil {
		return nil, err
	}
	bound, _ := netip.ParseAddrPort(ln.Addr().String())
	return &socket{addr: bound, ln: ln, done: make(chan struct{})}, nil
}

// start runs the accept loop (once): each connection goes to the current
// listener version, or is closed when there is none.
func (s *socket) start(handle func(*Listener, net.Conn)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started = true
	go func() {
		defer close(s.done)
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			l := s.current.Load()
			if l == nil {
				_ = c.Close()
				continue
			}
			handle(l, c)
		}
	}()
}

// close stops accepting and waits for the accept loop; connections
// already accepted are not affected.
func (s *socket) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	started := s.started
	s.started = true
	s.mu.Unlock()
	if started {
		<-s.done
	}
}
