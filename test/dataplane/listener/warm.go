package listener

import (
	"maps"
	"net/netip"
	"slices"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/proto"
)

// Reconcile activates the warming listeners whose route configurations
// and secrets have all arrived, or whose initial fetch timeout passed.
func (m *Manager) Reconcile() {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	warmed := false
	for _, name := range slices.Sorted(maps.Keys(m.warming)) {
		l := m.warming[name]
		if !m.warm(l) {
			continue
		}
		delete(m.warming, name)
		if t := m.timers[l]; t != nil {
			t.Stop()
			delete(m.timers, l)
		}
		m.activate(l)
		warmed = true
	}
	m.mu.Unlock()
	if warmed && m.deps.OnChange != nil {
		m.deps.OnChange()
	}
}

// warm reports whether everything the listener waits for is there.
func (m *Manager) warm(l *Listener) bool {
	if l.warmTimeout > 0 && time.Since(l.created) >= l.warmTimeout {
		m.deps.Logger.Info("listener initial fetch timed out; activating it without all its routes and secrets",
			"listener", l.Name)
		return true
	}
	for _, r := range l.RouteNames() {
		if !m.deps.HasRoute(r) {
			return false
		}
	}
	for _, s := range l.SecretNames() {
		if !m.deps.HasSecret(s) {
			return false
		}
	}
	return true
}

// activate makes a warmed listener the active version: its filter chains
// get runtimes (those unchanged from the previous version keep theirs
// when only filter chains changed: Envoy's in-place filter chain update),
// the socket hands it new connections, and the previous version's other
// runtimes drain. m.mu is held.
func (m *Manager) activate(l *Listener) {
	old := m.active[l.Name]
	inPlace := old != nil && onlyChainsDiffer(old, l)
	kept := map[*runtime]bool{}
	l.runtimes = map[*chain]*runtime{}
	for _, c := range l.allChains() {
		if inPlace {
			if rt := old.runtimeOf(c); rt != nil {
				l.runtimes[c] = rt
				kept[rt] = true
				continue
			}
		}
		l.runtimes[c] = newRuntime(c, l, m.deps)
	}
	m.active[l.Name] = l
	l.socket.current.Store(l)
	if m.started {
		l.socket.start(m.handle)
	}
	if old != nil {
		if old.socket != l.socket && old.socket.current.Load() == old {
			old.socket.current.Store(nil)
		}
		m.release(old.socket)
		m.drainRuntimes(old, kept)
	}
	m.deps.Logger.V(1).Info("listener active", "listener", l.Name, "address", l.socket.addr.String(), "inPlace", inPlace)
}

// runtimeOf returns the runtime of l's chain with the same
// configuration as c (and the same role: default chain or not), if any.
func (l *Listener) runtimeOf(c *chain) *runtime {
	for oc, rt := range l.runtimes {
		if oc.fallback == c.fallback && proto.Equal(oc.proto, c.proto) {
			return rt
		}
	}
	return nil
}

// onlyChainsDiffer reports whether two versions of a listener differ only
// in their filter chains (Envoy's supportUpdateFilterChain).
func onlyChainsDiffer(a, b *Listener) bool {
	strip := func(l *Listener) *listenerv3.Listener {
		c := proto.Clone(l.Proto).(*listenerv3.Listener)
		c.FilterChains, c.DefaultFilterChain = nil, nil
		return c
	}
	return proto.Equal(strip(a), strip(b))
}

// Start starts accepting on every active listener (Envoy starts its
// workers once the server initialized).
func (m *Manager) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.started = true
	for _, l := range m.active {
		l.socket.start(m.handle)
	}
}

// Stop closes every socket and connection and waits for them.
func (m *Manager) Stop() {
	m.mu.Lock()
	m.stopped = true
	for l, t := range m.timers {
		t.Stop()
		delete(m.timers, l)
	}
	var runtimes []*runtime
	for _, group := range []map[string]*Listener{m.active, m.warming} {
		for _, l := range group {
			for _, rt := range l.runtimes {
				runtimes = append(runtimes, rt)
			}
		}
	}
	for _, s := range m.sockets {
		s.close()
	}
	m.sockets = map[netip.AddrPort]*socket{}
	m.active, m.warming = map[string]*Listener{}, map[string]*Listener{}
	for rt := range m.drainingRTs {
		runtimes = append(runtimes, rt)
	}
	m.mu.Unlock()
	m.conns.Wait()
	for _, rt := range runtimes {
		rt.close()
	}
	m.draining.Wait()
}
