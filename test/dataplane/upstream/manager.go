package upstream

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"
)

// Manager is the cluster manager: static clusters from the bootstrap and
// dynamic ones from CDS, each warming before it replaces the previous
// version, and the EDS assignments they take.
type Manager struct {
	env Env
	// onChange is called (without locks held) when a cluster finished
	// warming.
	onChange func()

	mu      sync.Mutex
	active  map[string]*Cluster
	warming map[string]*Cluster
	static  map[string]bool
	// eds caches the last accepted assignment by name (Envoy's EDS cache
	// for ADS): a cluster that warms again with an unchanged EDS name is
	// initialized from it.
	eds     map[string]*Assignment
	stopped bool
	wg      sync.WaitGroup
}

// NewManager returns an empty cluster manager.
func NewManager(env Env, onChange func()) *Manager {
	return &Manager{
		env: env, onChange: onChange,
		active: map[string]*Cluster{}, warming: map[string]*Cluster{},
		static: map[string]bool{}, eds: map[string]*Assignment{},
	}
}

// AddStatic adds and starts a bootstrap cluster; it warms like any other.
func (m *Manager) AddStatic(c *Cluster) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.static[c.Name] = true
	m.startWarming(c)
}

// Get returns the active cluster of that name, or nil.
func (m *Manager) Get(name string) *Cluster {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.active[name]
}

// Warming is the number of clusters warming.
func (m *Manager) Warming() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.warming)
}

// EDSNames are the assignment names the active and warming EDS clusters
// take: the EDS subscription.
func (m *Manager) EDSNames() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	set := map[string]bool{}
	for _, group := range []map[string]*Cluster{m.active, m.warming} {
		for _, c := range group {
			if c.Discovery == EDS {
				set[c.EDSName] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Clusters returns the active clusters' resources, sorted by name.
func (m *Manager) Clusters() []*clusterv3.Cluster {
	m.mu.Lock()
	defer m.mu.Unlock()
	return sortedByName(m.active, func(c *Cluster) *clusterv3.Cluster { return c.Proto })
}

// Assignments returns the cached EDS assignments, sorted by name.
func (m *Manager) Assignments() []*endpointv3.ClusterLoadAssignment {
	m.mu.Lock()
	defer m.mu.Unlock()
	return sortedByName(m.eds, func(a *Assignment) *endpointv3.ClusterLoadAssignment { return a.Proto })
}

// sortedByName returns the part of each value of byName that get picks,
// in the order of the names.
func sortedByName[V, P any](byName map[string]V, get func(V) P) []P {
	out := make([]P, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, get(byName[name]))
	}
	return out
}

// ApplyCDS makes the given compiled clusters the dynamic ones (state of
// the world): dynamic clusters absent from the list are removed, new and
// changed ones start warming, unchanged ones are left alone. rejected
// lists the names of resources that failed to compile: their current
// versions stay as they are, as Envoy keeps a cluster whose update
// failed. It returns an error for clusters that cannot be applied (a
// static cluster's name).
func (m *Manager) ApplyCDS(clusters []*Cluster, rejected []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := map[string]bool{}
	for _, name := range rejected {
		keep[name] = true
	}
	var errs []error
	for _, c := range clusters {
		keep[c.Name] = true
		if m.static[c.Name] {
			errs = append(errs, fmt.Errorf("cluster %s: a static cluster cannot be updated via CDS", c.Name))
			continue
		}
		if cur := m.current(c.Name); cur != nil && proto.Equal(cur.Proto, c.Proto) {
			continue
		}
		if old := m.warming[c.Name]; old != nil {
			old.Stop()
		}
		m.startWarming(c)
	}
	for _, group := range []map[string]*Cluster{m.active, m.warming} {
		for name, c := range group {
			if !keep[name] && !m.static[name] {
				delete(group, name)
				c.Stop()
			}
		}
	}
	return errors.Join(errs...)
}

// current is the warming version of a cluster, else the active one.
func (m *Manager) current(name string) *Cluster {
	if c := m.warming[name]; c != nil {
		return c
	}
	return m.active[name]
}

// startWarming starts c and promotes it once initialized; m.mu is held.
func (m *Manager) startWarming(c *Cluster) {
	if m.stopped {
		return
	}
	m.warming[c.Name] = c
	c.Start()
	if c.Discovery == EDS {
		if a := m.eds[c.EDSName]; a != nil {
			c.SetAssignment(a)
		}
	}
	m.wg.Go(func() {
		select {
		case <-c.Ready():
			m.promote(c)
		case <-c.stopped:
		}
	})
}

// promote makes a warmed cluster active, replacing (and stopping) the
// previous version, unless it was removed or replaced meanwhile.
func (m *Manager) promote(c *Cluster) {
	m.mu.Lock()
	if m.warming[c.Name] != c {
		m.mu.Unlock()
		return
	}
	delete(m.warming, c.Name)
	old := m.active[c.Name]
	m.active[c.Name] = c
	m.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	m.env.Logger.V(1).Info("cluster warmed", "cluster", c.Name)
	if m.onChange != nil {
		m.onChange()
	}
}

// ApplyEDS applies validated assignments to the clusters that take them
// and caches them. Assignments nobody takes are cached too.
func (m *Manager) ApplyEDS(assignments []*Assignment) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range assignments {
		name := a.Proto.GetClusterName()
		m.eds[name] = a
		for _, group := range []map[string]*Cluster{m.active, m.warming} {
			for _, c := range group {
				if c.Discovery == EDS && c.EDSName == name {
					c.SetAssignment(a)
				}
			}
		}
	}
}

// Stop stops every cluster.
func (m *Manager) Stop() {
	m.mu.Lock()
	m.stopped = true
	var all []*Cluster
	for _, group := range []map[string]*Cluster{m.active, m.warming} {
		for _, c := range group {
			all = append(all, c)
		}
	}
	m.active, m.warming = map[string]*Cluster{}, map[string]*Cluster{}
	m.mu.Unlock()
	for _, c := range all {
		c.Stop()
	}
	m.wg.Wait()
}

// Describe lists the clusters for diagnostics.
func (m *Manager) Describe() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(m.active)) {
		fmt.Fprintf(&b, "%s active %d hosts\n", name, len(m.active[name].Hosts()))
	}
	for _, name := range slices.Sorted(maps.Keys(m.warming)) {
		fmt.Fprintf(&b, "%s warming\n", name)
	}
	return b.String()
}

// Static returns a bootstrap cluster, active or still warming.
func (m *Manager) Static(name string) *Cluster {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.static[name] {
		return nil
	}
	return m.current(name)
}
