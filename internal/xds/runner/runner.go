package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	rlsconfv3 "github.com/envoyproxy/go-control-plane/ratelimit/config/ratelimit/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// fleetLabel is the metric label naming a fleet.
const fleetLabel = "fleet"

// Server is what the runner needs of the xDS server (*server.Server).
type Server interface {
	// Update makes res the configuration of fleet, reporting whether it changed.
	Update(fleet string, res *translator.Resources) (changed bool, err error)
	// UpdateEndpoints replaces only the ClusterLoadAssignments of a fleet
	// set with Update, reporting whether they changed.
	UpdateEndpoints(fleet string, endpoints []*endpointv3.ClusterLoadAssignment) (changed bool, err error)
	// Remove stops serving fleet.
	Remove(fleet string) error
	// UpdateRateLimit makes configs the rate limit service's
	// configuration, reporting whether it changed.
	UpdateRateLimit(configs []*rlsconfv3.RateLimitConfig) (changed bool, err error)
}

// Options configure a Runner.
type Options struct {
	// Fleets is the fleets topic, published by the resource translator.
	Fleets *message.Watchable[*bus.FleetSet]
	// Endpoints is the providers' endpoints topic. Nil means no endpoints:
	// EDS clusters with an EndpointSource get none.
	Endpoints *message.Watchable[*ir.Endpoints]
	// Server receives each fleet's resources.
	Server Server
	// Registerer receives the runner's metrics; nil registers them nowhere.
	Registerer prometheus.Registerer
	// Logger receives the runner's logs.
	Logger logr.Logger
	// OnServed, if set, is called after a fleet's configuration was set
	// from a result (see Runner.Served). It must not block.
	OnServed func()
}

// Runner translates fleets' xDS IR and updates the xDS server. It combines
// the latest fleet set (result) with the latest endpoints snapshot: a new one
// translates the fleets whose IR changed (with the current endpoints); a new
// endpoints snapshot recomputes only the ClusterLoadAssignments of the
// fleets served and replaces them with Server.UpdateEndpoints.
type Runner struct {
	opts         Options
	log          logr.Logger
	errors       *prometheus.CounterVec
	leftOut      *prometheus.CounterVec
	leftOutNow   *prometheus.GaugeVec
	took         prometheus.Histogram
	endpointTook prometheus.Histogram

	// mu makes the handlers of the two topics run one at a time; it guards
	// every field below.
	mu sync.Mutex
	// applied is the IR each served fleet's configuration was built from.
	// Published values are never mutated, so the same pointer means the same
	// IR and the fleet is not translated again.
	applied map[string]*ir.Xds
	// known are the fleets of the previous results, served or not, with
	// their GatewayClass.
	known map[string]string
	// endpoints is the endpoints view fleets are translated with; see syncEndpoints.
	endpoints endpointsView
	// fleetEndpoints is the endpoints generation each served fleet's
	// assignments were computed from.
	fleetEndpoints map[string]uint64
	// served is the result each fleet's configuration was built from.
	served servedResults
	// caches keep each fleet's translation: a change costs what it changes.
	caches map[string]*translator.Cache
	// services are the Services each applied IR's clusters use (see fleetServices).
	services map[*ir.Xds]map[string]bool
}

// New checks the options and registers the metrics.
func New(opts Options) (*Runner, error) {
	if opts.Fleets == nil || opts.Server == nil {
		return nil, errors.New("xds runner needs Fleets and Server")
	}
	r := &Runner{
		opts: opts,
		log:  opts.Logger,
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "envoy_gateway_xds_translation_errors_total",
			Help: "Fleet translations or server updates that failed; the fleet kept its previous configuration.",
		}, []string{fleetLabel}),
		leftOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "envoy_gateway_xds_left_out_total",
			Help: "Elements (listeners, filter chains, routes, clusters, assignments, secrets) left out of a fleet's translation because Envoy would refuse them; the rest of the fleet is served.",
		}, []string{fleetLabel, "kind"}),
		leftOutNow: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "envoy_gateway_xds_left_out_elements",
			Help: "Elements left out of the configuration each fleet is served now.",
		}, []string{fleetLabel}),
		took: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "envoy_gateway_xds_translation_duration_seconds",
			Help:    "Time to translate one fleet's xDS IR into Envoy resources.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}),
		endpointTook: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "envoy_gateway_xds_endpoint_translation_duration_seconds",
			Help:    "Time to recompute one fleet's ClusterLoadAssignments after an endpoints snapshot.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 8),
		}),
		applied:        map[string]*ir.Xds{},
		known:          map[string]string{},
		fleetEndpoints: map[string]uint64{},
		caches:         map[string]*translator.Cache{},
		services:       map[*ir.Xds]map[string]bool{},
	}
	if opts.Registerer != nil {
		for _, c := range []prometheus.Collector{r.errors, r.leftOut, r.leftOutNow, r.took, r.endpointTook} {
			if err := opts.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("registering xds runner metrics: %w", err)
			}
		}
	}
	return r, nil
}

// Name names the runner among the control plane's runners.
func (r *Runner) Name() string { return "xds-translator" }

// Start handles results and endpoints snapshots until ctx is done.
func (r *Runner) Start(ctx context.Context) error {
	onPanic := func(err error) { r.log.Error(err, "xds runner recovered from a panic") }
	var wg sync.WaitGroup
	if r.opts.Endpoints != nil {
		wg.Go(func() {
			r.opts.Endpoints.Subscribe(ctx, func(*ir.Endpoints) { r.handleEndpoints() }, onPanic)
		})
	}
	r.opts.Fleets.Subscribe(ctx, r.handle, onPanic)
	wg.Wait()
	return nil
}

// handle brings the server in line with one result, using the latest
// endpoints snapshot.
func (r *Runner) handle(result *bus.FleetSet) {
	if result == nil {
		r.log.Info("ignoring a nil fleet set")
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.syncEndpoints(result)
	seen := map[string]bool{}
	for _, f := range result.Fleets {
		if f == nil || f.Name == "" {
			r.log.Error(nil, "ignoring a fleet without a name")
			continue
		}
		if seen[f.Name] {
			r.log.Error(nil, "ignoring a duplicate fleet", "fleet", f.Name)
			continue
		}
		seen[f.Name] = true
		r.apply(f)
		r.markServed(result, f)
		r.refreshEndpoints(f.Name)
	}
	frozen := map[string]bool{}
	for _, c := range result.FrozenGatewayClasses {
		frozen[c] = true
	}
	for _, name := range slices.Sorted(maps.Keys(r.known)) {
		if seen[name] {
			continue
		}
		if frozen[r.known[name]] {
			// Its GatewayClass is not accepted right now: keep serving the
			// last good configuration rather than taking the fleet down;
			// only its endpoints keep following the backends.
			r.refreshEndpoints(name)
			continue
		}
		if err := r.opts.Server.Remove(name); err != nil {
			r.errors.WithLabelValues(name).Inc()
			r.log.Error(err, "removing a fleet's xDS configuration failed", "fleet", name)
			continue
		}
		delete(r.applied, name)
		r.served.forget(name)
		delete(r.known, name)
		delete(r.fleetEndpoints, name)
		delete(r.caches, name)
		r.leftOutNow.DeleteLabelValues(name)
		r.log.Info("stopped serving fleet", "fleet", name)
	}
	for _, f := range result.Fleets {
		if f != nil && seen[f.Name] {
			r.known[f.Name] = fleetClass(f)
		}
	}
	r.forgetServices()
	r.endpoints.prune(r.usesService)
	r.updateRateLimit()
}

// rateLimitLabel is the metric label of the rate limit service's configuration.
const rateLimitLabel = ":ratelimit"

// updateRateLimit serves the rate limit service the global rate limits of
// the IR every served fleet's configuration was built from (frozen fleets
// included), fleets in name order: the descriptors the proxies send are
// exactly those the service knows. It is set on every result, possibly
// empty, so the service always gets a configuration.
func (r *Runner) updateRateLimit() {
	fleets := make([]*ir.Xds, 0, len(r.applied))
	for _, name := range slices.Sorted(maps.Keys(r.applied)) {
		fleets = append(fleets, r.applied[name])
	}
	configs := translator.RateLimitConfigs(fleets)
	changed, err := r.opts.Server.UpdateRateLimit(configs)
	if err != nil {
		r.errors.WithLabelValues(rateLimitLabel).Inc()
		r.log.Error(err, "updating the rate limit service's configuration failed; it keeps the previous one")
		return
	}
	if changed {
		r.log.V(1).Info("rate limit service configuration updated", "domains", len(configs))
	}
}

// fleetClass returns the GatewayClass of a fleet, or "" when the IR lacks it.
func fleetClass(f *bus.Fleet) string {
	if f.Infra == nil || f.Infra.Proxy == nil {
		return ""
	}
	return f.Infra.Proxy.GatewayClass
}

// apply translates one fleet and updates the server, unless the fleet's IR
// is the one already applied. On failure the fleet keeps its configuration.
func (r *Runner) apply(f *bus.Fleet) {
	log := r.log.WithValues("fleet", f.Name)
	if f.Xds != nil && r.applied[f.Name] == f.Xds {
		return
	}
	start := time.Now()
	res, err := translateSafely(r.cache(f.Name), f.Xds, r.endpoints.current)
	r.took.Observe(time.Since(start).Seconds())
	if err != nil {
		r.errors.WithLabelValues(f.Name).Inc()
		log.Error(err, "xDS translation failed; the fleet keeps its previous configuration")
		return
	}
	changed, err := r.opts.Server.Update(f.Name, res)
	if err != nil {
		r.errors.WithLabelValues(f.Name).Inc()
		log.Error(err, "updating the xDS server failed; the fleet keeps its previous configuration")
		return
	}
	r.reportLeftOut(log, f.Name, res)
	r.applied[f.Name] = f.Xds
	r.fleetEndpoints[f.Name] = r.endpoints.generation
	// Served: the first endpoint change of the fleet need not build the
	// endpoint index (once per fleet).
	if err := warmEndpointsSafely(r.cache(f.Name), f.Xds.Clusters, r.endpoints.current); err != nil {
		log.Error(err, "preparing the endpoint index failed; the next endpoint change builds it")
	}
	if changed {
		log.V(1).Info("xDS configuration updated", "listeners", len(res.Listeners), "routeConfigurations", len(res.Routes),
			"clusters", len(res.Clusters), "secrets", len(res.Secrets))
	}
}

// reportLeftOut logs and counts the elements a fleet's translation left
// out, each with the object it comes from. The resource translator rejects
// (with a status) every value it knows Envoy refuses, so an element left out
// here is one it missed: the log names the object to look at.
//
// The counters go up before the gauge is set, so that a reader who sees the
// gauge of a translation also sees its counts.
func (r *Runner) reportLeftOut(log logr.Logger, fleet string, res *translator.Resources) {
	for _, l := range res.LeftOut {
		r.leftOut.WithLabelValues(fleet, l.Kind).Inc()
		log.Error(nil, "xDS translation left an element out; the rest of the fleet is served",
			"kind", l.Kind, "name", l.Name, "source", l.Source, "reason", l.Reason)
	}
	r.leftOutNow.WithLabelValues(fleet).Set(float64(len(res.LeftOut)))
	for _, w := range res.Warnings {
		log.V(1).Info("xDS translation note", "warning", w)
	}
}

// cache returns the translation cache of a fleet.
func (r *Runner) cache(fleet string) *translator.Cache {
	c, ok := r.caches[fleet]
	if !ok {
		c = translator.NewCache()
		r.caches[fleet] = c
	}
	return c
}

// translateSafely turns a panic of the translator into an error, so one
// fleet cannot stop the others from being updated.
func translateSafely(c *translator.Cache, x *ir.Xds, eps *ir.Endpoints) (res *translator.Resources, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("panic in xds translator: %v", p)
		}
	}()
	return c.Translate(x, eps)
}
