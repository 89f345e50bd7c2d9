package upstream

import (
	"errors"
	"math/rand/v2"
	"sync"
)

// Envoy's defaults for choosing among hosts.
const (
	panicThresholdPercent  = 50
	overprovisioningFactor = 1.4
)

// ErrNoHealthyUpstream is what a cluster without hosts answers; Envoy's
// router replies 503 "no healthy upstream".
var ErrNoHealthyUpstream = errors.New("no healthy upstream")

// hostSet is an immutable set of hosts with its round-robin schedules.
type hostSet struct {
	all      []*Host // every host but the excluded ones
	healthy  []*Host
	degraded []*Host

	mu     sync.Mutex
	rounds map[string]*roundRobin // by source: "all", "healthy", "degraded"
}

func newHostSet(hosts []*Host) *hostSet {
	s := &hostSet{rounds: map[string]*roundRobin{}}
	for _, h := range hosts {
		switch h.Health {
		case Excluded:
			continue
		case Healthy:
			s.healthy = append(s.healthy, h)
		case Degraded:
			s.degraded = append(s.degraded, h)
		}
		s.all = append(s.all, h)
	}
	return s
}

// pick chooses a host as Envoy's round-robin load balancer with one
// priority: panic mode when fewer than half the hosts are healthy or
// degraded, else healthy or degraded hosts by their overprovisioned share.
func (s *hostSet) pick() (*Host, error) {
	if len(s.all) == 0 {
		return nil, ErrNoHealthyUpstream
	}
	total := float64(len(s.all))
	healthyPct := 100 * float64(len(s.healthy)) / total
	degradedPct := 100 * float64(len(s.degraded)) / total
	if healthyPct+degradedPct < panicThresholdPercent {
		return s.next("all", s.all), nil
	}
	healthyLoad := min(100, healthyPct*overprovisioningFactor)
	degradedLoad := min(100-healthyLoad, degradedPct*overprovisioningFactor)
	if rand.Float64()*(healthyLoad+degradedLoad) < healthyLoad {
		return s.next("healthy", s.healthy), nil
	}
	return s.next("degraded", s.degraded), nil
}

func (s *hostSet) next(source string, hosts []*Host) *Host {
	s.mu.Lock()
	defer s.mu.Unlock()
	rr := s.rounds[source]
	if rr == nil {
		rr = newRoundRobin(hosts)
		s.rounds[source] = rr
	}
	return rr.next()
}

// roundRobin is Envoy's round robin: plain rotation when all weights are
// equal, else earliest deadline first over the weights.
type roundRobin struct {
	hosts    []*Host
	weighted bool
	index    int
	// deadlines for the weighted schedule, one per host.
	deadlines []float64
}

func newRoundRobin(hosts []*Host) *roundRobin {
	rr := &roundRobin{hosts: hosts}
	for _, h := range hosts {
		if h.Weight != hosts[0].Weight {
			rr.weighted = true
		}
	}
	if rr.weighted {
		rr.deadlines = make([]float64, len(hosts))
		for i, h := range hosts {
			rr.deadlines[i] = 1 / float64(h.Weight)
		}
	}
	return rr
}

func (rr *roundRobin) next() *Host {
	if !rr.weighted {
		h := rr.hosts[rr.index%len(rr.hosts)]
		rr.index++
		return h
	}
	best := 0
	for i := range rr.deadlines {
		if rr.deadlines[i] < rr.deadlines[best] {
			best = i
		}
	}
	rr.deadlines[best] += 1 / float64(rr.hosts[best].Weight)
	return rr.hosts[best]
}
