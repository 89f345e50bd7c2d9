package dataplane

import (
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
	"github.com/envoygw/envoy-gateway/test/dataplane/xdsclient"
)

// phase is a step of Envoy's server initialization.
type phase int

const (
	// The static clusters warm (the xDS cluster's DNS).
	phaseStaticClusters phase = iota
	// CDS is subscribed; waiting for its first response or its initial
	// fetch timeout.
	phaseCDS
	// The clusters of the first CDS response warm (EDS).
	phaseClusters
	// LDS is subscribed; waiting for its first response or timeout.
	phaseLDS
	// The listeners warm (RDS, SDS).
	phaseListeners
	// Initialized: listeners accept, /ready says LIVE.
	phaseLive
)

// initState drives the proxy through Envoy's initialization: the cluster
// manager initializes (static clusters, then CDS and its clusters), then
// the server's init manager (LDS and its listeners); then workers start.
type initState struct {
	p *Proxy

	mu      sync.Mutex
	enabled bool // set once the proxy is wired; changes before are ignored
	phase   phase
	cdsDone bool
	ldsDone bool
	timers  []*time.Timer
	stopped bool
}

func newInitState(p *Proxy) *initState { return &initState{p: p} }

// cdsResponded and ldsResponded record a first response (accepted or
// not: Envoy's init target completes either way).
func (s *initState) cdsResponded() {
	s.mu.Lock()
	s.cdsDone = true
	s.mu.Unlock()
}

func (s *initState) ldsResponded() {
	s.mu.Lock()
	s.ldsDone = true
	s.mu.Unlock()
}

// enable starts the sequence once the proxy is wired.
func (s *initState) enable() {
	s.mu.Lock()
	s.enabled = true
	s.mu.Unlock()
	s.advance()
}

// onChange re-evaluates initialization after any change.
func (p *Proxy) onChange() {
	if p.init != nil {
		p.init.advance()
	}
}

// advance moves through the phases whose conditions hold.
func (s *initState) advance() {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.p
	dyn := p.bootstrap.GetDynamicResources()
	for s.enabled && !s.stopped {
		switch s.phase {
		case phaseStaticClusters:
			if p.clusters.Warming() > 0 {
				return
			}
			s.phase = phaseCDS
			if dyn.GetCdsConfig() == nil || p.xds == nil {
				s.cdsDone = true
				continue
			}
			s.startTimer(dyn.GetCdsConfig(), func() { s.cdsDone = true })
			p.xds.SubscribeWildcard(xdsclient.ClusterType)
		case phaseCDS:
			if !s.cdsDone {
				return
			}
			s.phase = phaseClusters
		case phaseClusters:
			if p.clusters.Warming() > 0 {
				return
			}
			s.phase = phaseLDS
			if dyn.GetLdsConfig() == nil || p.xds == nil {
				s.ldsDone = true
				continue
			}
			s.startTimer(dyn.GetLdsConfig(), func() { s.ldsDone = true })
			p.xds.SubscribeWildcard(xdsclient.ListenerType)
		case phaseLDS:
			if !s.ldsDone {
				return
			}
			s.phase = phaseListeners
		case phaseListeners:
			if p.listeners.Warming() > 0 {
				return
			}
			s.phase = phaseLive
			p.listeners.Start()
			p.live.Store(true)
			p.log.Info("data plane initialized: listeners accept")
		case phaseLive:
			return
		}
	}
}

// startTimer applies a config source's initial_fetch_timeout (15 s by
// default, 0: none) to the first response; s.mu is held.
func (s *initState) startTimer(cs *corev3.ConfigSource, expire func()) {
	d := upstream.DefaultInitialFetchTimeout
	if t := cs.GetInitialFetchTimeout(); t != nil {
		d = t.AsDuration()
	}
	if d <= 0 {
		return
	}
	s.timers = append(s.timers, time.AfterFunc(d, func() {
		s.mu.Lock()
		expire()
		s.mu.Unlock()
		s.p.log.Info("initial fetch timed out; initialization goes on")
		s.advance()
	}))
}

func (s *initState) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for _, t := range s.timers {
		t.Stop()
	}
}
