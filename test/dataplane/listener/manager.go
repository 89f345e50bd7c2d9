package listener

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"github.com/go-logr/logr"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/test/dataplane/hcm"
)

// Deps is what the listeners need from the proxy.
type Deps struct {
	// HCM is what connection managers need (BufferLimit is set per
	// listener).
	HCM hcm.Deps
	// HasRoute and HasSecret say whether a route configuration or secret
	// has arrived: a listener warms until all of its have.
	HasRoute  func(name string) bool
	HasSecret func(name string) bool
	// DrainTime is how long connections of a removed or replaced listener
	// (or filter chain) may finish (--drain-time-s).
	DrainTime time.Duration
	// OnChange is called (without locks held) when a listener warmed.
	OnChange func()
	Logger   logr.Logger
}

// Manager is the listener manager: static listeners from the bootstrap
// and dynamic ones from LDS, each warming (its RDS route configurations
// and SDS secrets) before it is active; listeners start accepting once
// Start is called (Envoy starts its workers once the server initialized).
type Manager struct {
	deps Deps

	mu      sync.Mutex
	active  map[string]*Listener
	warming map[string]*Listener
	static  map[string]bool
	sockets map[netip.AddrPort]*socket
	started bool
	stopped bool
	timers  map[*Listener]*time.Timer

	conns       sync.WaitGroup // connections being inspected and matched
	draining    sync.WaitGroup // runtimes draining
	drainingRTs map[*runtime]bool
}

// NewManager returns an empty listener manager.
func NewManager(deps Deps) *Manager {
	return &Manager{
		deps: deps, active: map[string]*Listener{}, warming: map[string]*Listener{},
		static: map[string]bool{}, sockets: map[netip.AddrPort]*socket{}, timers: map[*Listener]*time.Timer{},
		drainingRTs: map[*runtime]bool{},
	}
}

// AddStatic adds a bootstrap listener.
func (m *Manager) AddStatic(l *Listener) error {
	m.mu.Lock()
	m.static[l.Name] = true
	err := m.add(l)
	m.mu.Unlock()
	m.Reconcile()
	return err
}

// ApplyLDS makes the given compiled listeners the dynamic ones (state of
// the world), as Envoy's LdsApiImpl: dynamic listeners absent from the
// list (and not in rejected, the names whose new version failed to
// compile) are removed and drain; new and changed ones warm; unchanged
// ones are left alone. It returns the errors of listeners it could not
// add (a static listener's name, a duplicate address, a bind failure).
func (m *Manager) ApplyLDS(listeners []*Listener, rejected []string) error {
	m.mu.Lock()
	keep := map[string]bool{}
	for _, n := range rejected {
		keep[n] = true
	}
	for _, l := range listeners {
		keep[l.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(m.active)) {
		if !keep[name] && !m.static[name] {
			m.remove(name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(m.warming)) {
		if !keep[name] && !m.static[name] {
			m.dropWarming(name)
		}
	}
	var errs []error
	for _, l := range listeners {
		if m.static[l.Name] {
			errs = append(errs, fmt.Errorf("%s: a static listener cannot be updated via LDS", l.Name))
			continue
		}
		if cur := m.current(l.Name); cur != nil && proto.Equal(cur.Proto, l.Proto) {
			continue
		}
		if err := m.add(l); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.Name, err))
		}
	}
	m.mu.Unlock()
	m.Reconcile()
	return errors.Join(errs...)
}

func (m *Manager) current(name string) *Listener {
	if l := m.warming[name]; l != nil {
		return l
	}
	return m.active[name]
}

// add binds (or shares) the listener's socket and puts it to warm; m.mu
// is held.
func (m *Manager) add(l *Listener) error {
	if m.stopped {
		return errors.New("the proxy is stopping")
	}
	for _, group := range []map[string]*Listener{m.active, m.warming} {
		for name, other := range group {
			if name != l.Name && l.Addr.Port() != 0 && (other.Addr == l.Addr || other.socket.addr == l.Addr) {
				return fmt.Errorf("invalid: has duplicate address '%s' as existing listener %s", l.Addr, name)
			}
		}
	}
	s, err := m.acquire(l)
	if err != nil {
		return err
	}
	l.socket = s
	m.dropWarming(l.Name)
	m.warming[l.Name] = l
	if l.warmTimeout > 0 {
		m.timers[l] = time.AfterFunc(l.warmTimeout, m.Reconcile)
	}
	return nil
}

// acquire returns the socket of the listener's address: the current
// version's when the address is unchanged, else a new one.
func (m *Manager) acquire(l *Listener) (*socket, error) {
	if cur := m.current(l.Name); cur != nil && cur.Addr == l.Addr && cur.socket != nil {
		cur.socket.refs++
		return cur.socket, nil
	}
	s, err := bind(l.Addr)
	if err != nil {
		return nil, fmt.Errorf("cannot bind '%s': %w", l.Addr, err)
	}
	s.refs = 1
	m.sockets[s.addr] = s
	return s, nil
}

// release drops a listener version's hold on its socket, closing the
// socket when no version holds it; m.mu is held.
func (m *Manager) release(s *socket) {
	if s == nil {
		return
	}
	s.refs--
	if s.refs > 0 {
		return
	}
	delete(m.sockets, s.addr)
	s.close()
}

func (m *Manager) dropWarming(name string) {
	l := m.warming[name]
	if l == nil {
		return
	}
	delete(m.warming, name)
	if t := m.timers[l]; t != nil {
		t.Stop()
		delete(m.timers, l)
	}
	m.release(l.socket)
}

// remove stops an active listener's socket and drains its connections;
// m.mu is held.
func (m *Manager) remove(name string) {
	l := m.active[name]
	delete(m.active, name)
	if l.socket.current.Load() == l {
		l.socket.current.Store(nil)
	}
	m.release(l.socket)
	m.drainRuntimes(l, nil)
}

// drainRuntimes drains the runtimes of l not kept by its successor.
func (m *Manager) drainRuntimes(l *Listener, kept map[*runtime]bool) {
	for _, rt := range l.runtimes {
		if kept[rt] {
			continue
		}
		m.drainingRTs[rt] = true
		m.draining.Go(func() {
			rt.drain(m.deps.DrainTime)
			m.mu.Lock()
			delete(m.drainingRTs, rt)
			m.mu.Unlock()
		})
	}
}

// Warming is the number of listeners warming.
func (m *Manager) Warming() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.warming)
}

// RouteNames and SecretNames are what the active and warming listeners
// need: the RDS and SDS subscriptions.
func (m *Manager) RouteNames() []string { return m.names((*Listener).RouteNames) }

// SecretNames are the SDS secrets of the active and warming listeners.
func (m *Manager) SecretNames() []string { return m.names((*Listener).SecretNames) }

func (m *Manager) names(of func(*Listener) []string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	set := map[string]bool{}
	for _, group := range []map[string]*Listener{m.active, m.warming} {
		for _, l := range group {
			for _, n := range of(l) {
				set[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Listeners returns the active listeners' resources, sorted by name.
func (m *Manager) Listeners() []*listenerv3.Listener {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*listenerv3.Listener, 0, len(m.active))
	for _, name := range slices.Sorted(maps.Keys(m.active)) {
		out = append(out, m.active[name].Proto)
	}
	return out
}

// Addr returns the bound address of an active listener.
func (m *Manager) Addr(name string) (netip.AddrPort, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l := m.active[name]; l != nil {
		return l.socket.addr, true
	}
	return netip.AddrPort{}, false
}

// handle runs one accepted connection through l.
func (m *Manager) handle(l *Listener, c net.Conn) {
	m.conns.Go(func() { l.handle(c) })
}
