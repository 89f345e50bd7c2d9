package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	sotwv3 "github.com/envoyproxy/go-control-plane/pkg/server/sotw/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// gracePeriod bounds how long Start waits for streams to end on shutdown.
const gracePeriod = 5 * time.Second

// Options configure a Server.
type Options struct {
	// Address is the IP address to listen on.
	Address string
	// Port is the TCP port to listen on; 0 picks a free one (see Addr).
	Port int
	// TLS names the server certificate, key and client CA. Required unless
	// Plaintext is set.
	TLS *TLSFiles
	// Plaintext serves without TLS. Only allowed on a loopback address.
	Plaintext bool
	// Registerer receives the server's metrics; nil registers them nowhere.
	Registerer prometheus.Registerer
	// Logger receives the server's logs.
	Logger logr.Logger
	// OnProxyChange, if set, is called after every event that may change
	// what FleetStatus reports: a proxy connecting, ACKing, NACKing or
	// leaving, a fleet's configuration changing. It must not block.
	OnProxyChange func()
	// OnPropagated, if set, is called each time a fleet's configuration
	// has been ACKed by every connected proxy of the fleet (when
	// envoy_gateway_xds_propagation_duration_seconds is observed): the
	// change is then done. It must not block nor call the Server.
	OnPropagated func()
}

// Server serves each fleet's resources over ADS (state of the world and
// delta) to the proxies whose node.cluster names the fleet.
type Server struct {
	opts    Options
	log     logr.Logger
	metrics *metrics
	tracker *tracker
	caches  map[string]cachev3.SnapshotCache
	// partial answers the RDS, EDS and SDS watches (see partialCache).
	partial *partialCache
	grpc    *grpc.Server
	// stopStreams ends every xDS stream handler on shutdown.
	stopStreams context.CancelFunc

	mu       sync.Mutex
	listener net.Listener
	fleets   map[string]*content
	// rateLimitVersion is the version of the rate limit service's
	// configuration, "" before UpdateRateLimit.
	rateLimitVersion string
}

// New validates the options, loads the TLS files and registers the metrics.
// It does not listen yet (see Listen and Start).
func New(opts Options) (*Server, error) {
	if net.ParseIP(opts.Address) == nil {
		return nil, fmt.Errorf("xds server address %q is not an IP address", opts.Address)
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("xds server port %d is out of range", opts.Port)
	}
	log := opts.Logger
	var creds credentials.TransportCredentials
	switch {
	case opts.Plaintext:
		if !net.ParseIP(opts.Address).IsLoopback() {
			return nil, fmt.Errorf("plaintext xDS is only allowed on a loopback address, not %s", opts.Address)
		}
		creds = insecure.NewCredentials()
	case opts.TLS == nil:
		return nil, errors.New("xds server needs tls files unless plaintext is set")
	default:
		src, err := newTLSSource(*opts.TLS, log)
		if err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(src.serverConfig())
	}

	m := newMetrics()
	t := newTracker(opts.OnProxyChange)
	t.onPropagated = opts.OnPropagated
	if opts.Registerer != nil {
		for _, c := range append(m.collectors(), t.latency) {
			if err := opts.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("registering xds server metrics: %w", err)
			}
		}
	}
	caches, cache := newCaches(log)
	partial := newPartialCache()
	cb := newCallbacks(log, m, t)
	streamCtx, stopStreams := context.WithCancel(context.Background())
	xds := serverv3.NewServer(streamCtx, partialRouter{partial: partial, rest: cache}, cb, sotwv3.WithOrderedADS())

	s := &Server{
		opts:        opts,
		log:         log,
		metrics:     m,
		tracker:     t,
		caches:      caches,
		partial:     partial,
		stopStreams: stopStreams,
		fleets:      map[string]*content{},
	}
	s.grpc = grpc.NewServer(
		grpc.Creds(creds),
		grpc.ForceServerCodecV2(newResponseCodec(s.shareRequestNames)),
		grpc.MaxConcurrentStreams(1<<20),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 5 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 15 * time.Second, PermitWithoutStream: true}),
	)
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(s.grpc, xds)
	return s, nil
}

// shareRequestNames gives the resource names of a request of type t that
// a fleet's content serves the content's strings, in place: a stream
// keeps its last request's names, and a state-of-the-world request for
// assignments names every cluster (20,000 at 10,000 routes, each decoded
// into a string of its own, on every acknowledgement). Names no content
// serves keep their own.
func (s *Server) shareRequestNames(t resourcev3.Type, names []string) {
	// Sharing is for memory only: a request is not held back while an
	// update builds a content (s.mu held for tens of milliseconds at
	// 10,000 routes); its names then keep their own strings.
	if len(names) == 0 || !s.mu.TryLock() {
		return
	}
	indexes := make([]*nameIndex, 0, len(s.fleets))
	for _, c := range s.fleets {
		if x := c.byName[t]; x != nil {
			indexes = append(indexes, x)
		}
	}
	s.mu.Unlock()
	for i, n := range names {
		for _, x := range indexes {
			if e, ok := x.get(n); ok {
				names[i] = e.name
				break
			}
		}
	}
}

// Name names the server among the control plane's runners.
func (s *Server) Name() string { return "xds-server" }

// Listen binds the listening socket, so a busy port is reported before
// anything starts. Start calls it when it was not called before.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(s.opts.Address, strconv.Itoa(s.opts.Port)))
	if err != nil {
		return fmt.Errorf("xds server: %w", err)
	}
	s.listener = l
	return nil
}

// Addr is the address the server listens on, nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return nil
	}
	return s.listener.Addr()
}

// Start serves until ctx is done, then ends every stream and stops. It
// returns an error only when serving fails.
func (s *Server) Start(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	l := s.listener
	s.mu.Unlock()
	s.log.Info("serving xDS", "address", l.Addr().String(), "plaintext", s.opts.Plaintext)

	served := make(chan error, 1)
	go func() { served <- s.grpc.Serve(l) }()
	select {
	case err := <-served:
		s.stopStreams()
		return fmt.Errorf("xds server: %w", err)
	case <-ctx.Done():
	}
	s.stopStreams()
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(gracePeriod):
		s.grpc.Stop()
		<-stopped
	}
	<-served
	return nil
}

// Update makes res the configuration of fleet. It reports whether anything
// changed: setting the same resources again pushes nothing. On error (an
// inconsistent set of resources) the fleet keeps its previous configuration.
func (s *Server) Update(fleet string, res *translator.Resources) (changed bool, err error) {
	if fleet == "" {
		return false, errors.New("fleet name is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := newContent(res, s.fleets[fleet])
	if err != nil {
		return false, fmt.Errorf("fleet %s: %w", fleet, err)
	}
	if c.sameVersions(s.fleets[fleet]) {
		return false, nil
	}
	if err := s.setSnapshots(fleet, c); err != nil {
		return false, err
	}
	s.fleets[fleet] = c
	s.metrics.updates.WithLabelValues(fleet).Inc()
	return true, nil
}

// UpdateEndpoints replaces only the ClusterLoadAssignments of a fleet set
// with Update: its listeners, routes, clusters and secrets, and their
// versions, stay as they are, so only EDS is pushed. endpoints must hold one
// assignment per EDS cluster the fleet serves, so that the snapshot stays
// consistent; otherwise, or when the fleet is not served, nothing changes
// and an error is returned. It reports whether the assignments changed.
func (s *Server) UpdateEndpoints(fleet string, endpoints []*endpointv3.ClusterLoadAssignment) (changed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.fleets[fleet]
	if cur == nil {
		return false, fmt.Errorf("fleet %q is not served", fleet)
	}
	c, err := cur.withEndpoints(endpoints)
	if err != nil {
		return false, fmt.Errorf("fleet %s: %w", fleet, err)
	}
	if c.sameVersions(cur) {
		return false, nil
	}
	if err := s.setSnapshots(fleet, c); err != nil {
		return false, err
	}
	s.fleets[fleet] = c
	s.metrics.updates.WithLabelValues(fleet).Inc()
	s.metrics.endpointUpdates.WithLabelValues(fleet).Inc()
	return true, nil
}

// Remove stops serving fleet: its proxies, if any are still connected, are
// sent an empty configuration.
func (s *Server) Remove(fleet string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.fleets[fleet]; !ok {
		return nil
	}
	empty, err := newContent(nil, nil)
	if err != nil {
		return err
	}
	if err := s.setSnapshots(fleet, empty); err != nil {
		return err
	}
	delete(s.fleets, fleet)
	s.tracker.forget(fleet)
	s.metrics.updates.WithLabelValues(fleet).Inc()
	return nil
}

// Fleets lists the fleets served, sorted.
func (s *Server) Fleets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.fleets))
	for f := range s.fleets {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// setSnapshots sets c for fleet in the partial cache and, when listeners
// or clusters changed, a snapshot of c in both snapshot caches. The caches
// answer in ADS order: clusters, assignments, listeners, routes (and the
// secrets listeners name). Assignments go first unless the clusters
// changed, so that they come after the clusters they belong to and before
// the listeners and routes.
func (s *Server) setSnapshots(fleet string, c *content) error {
	prev := s.fleets[fleet]
	edsFirst := prev != nil && prev.versions[resourcev3.ClusterType] == c.versions[resourcev3.ClusterType]
	if edsFirst {
		s.partial.set(fleet, c, resourcev3.EndpointType)
	}
	// The snapshot caches serve listeners and clusters only: a change of
	// the other types sets no snapshot (it would make them compare every
	// cluster with each delta stream's).
	if prev == nil || prev.versions[resourcev3.ClusterType] != c.versions[resourcev3.ClusterType] ||
		prev.versions[resourcev3.ListenerType] != c.versions[resourcev3.ListenerType] {
		for _, name := range []string{envoyCache, namedCache} {
			if err := s.caches[name].SetSnapshot(context.Background(), fleet, c.cacheSnapshot()); err != nil {
				return fmt.Errorf("fleet %s: setting snapshot: %w", fleet, err)
			}
		}
	}
	if !edsFirst {
		s.partial.set(fleet, c, resourcev3.EndpointType)
	}
	s.partial.set(fleet, c, resourcev3.RouteType)
	s.partial.set(fleet, c, resourcev3.SecretType)
	s.tracker.contentSet(fleet, c)
	return nil
}
