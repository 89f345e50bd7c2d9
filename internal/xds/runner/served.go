package runner

import (
	"sync"

	"github.com/envoygw/envoy-gateway/internal/bus"
)

// servedResults records, per fleet, the translation result the fleet's
// configuration on the server was last built from: the mapping from a
// result (and the generations in its statuses) to what the proxies are
// sent. It has its own lock so that reading it never waits for a
// translation.
type servedResults struct {
	mu     sync.Mutex
	fleets map[string]*bus.FleetSet
}

// set records that fleet serves the configuration built from result.
func (s *servedResults) set(fleet string, result *bus.FleetSet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fleets == nil {
		s.fleets = map[string]*bus.FleetSet{}
	}
	s.fleets[fleet] = result
}

// forget records that fleet is no longer served.
func (s *servedResults) forget(fleet string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.fleets, fleet)
}

// Served returns the fleet set (its Source: the translation result) fleet's
// configuration on the server was last built from, nil when the fleet is not served. A result whose
// translation of the fleet failed is not recorded: the fleet keeps
// serving the previous one.
func (r *Runner) Served(fleet string) *bus.FleetSet {
	r.served.mu.Lock()
	defer r.served.mu.Unlock()
	return r.served.fleets[fleet]
}

// markServed records result as served by fleet f when f's IR is the one
// applied, and notifies Options.OnServed. r.mu must be held.
func (r *Runner) markServed(result *bus.FleetSet, f *bus.Fleet) {
	if f.Xds == nil || r.applied[f.Name] != f.Xds {
		return
	}
	r.served.set(f.Name, result)
	if r.opts.OnServed != nil {
		r.opts.OnServed()
	}
}
