package file

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/intern"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
	"github.com/envoygw/envoy-gateway/internal/validation"
)

// Defaults of Options.
const (
	DefaultDebounce = 100 * time.Millisecond
	DefaultMaxDelay = time.Second
	// DefaultResync is rare: the watcher sees every change of a watched
	// path, and a resync stats every file (about 0.4 s of CPU for 50,000
	// files). A watcher error re-reads at once; the resync catches a
	// configured path whose parent folder did not exist and a folder that
	// could not be watched.
	DefaultResync = 5 * time.Minute
	// pollInterval is the re-read period when files cannot be watched.
	pollInterval = 2 * time.Second
)

// Options configure a Provider.
type Options struct {
	// Paths are files and folders to read. Folders are read recursively:
	// every *.yaml, *.yml and *.json file whose name does not start with a dot.
	Paths []string
	// Resources receives every new snapshot of the objects in force but
	// EndpointSlices.
	Resources *message.Watchable[*gatewayapi.Resources]
	// Endpoints receives every new endpoints snapshot, in IR form: the
	// ready endpoints of the EndpointSlices in force, covering every Service
	// of the files. A change of EndpointSlices alone publishes only an
	// endpoints snapshot. Nil publishes none.
	Endpoints *message.Watchable[*ir.Endpoints]
	Logger    logr.Logger
	// Validator checks objects; nil means validation.Default().
	Validator *validation.Validator
	// Debounce is how long the provider waits for a burst of file events to
	// end before it reads the files again; MaxDelay bounds that wait.
	Debounce time.Duration
	MaxDelay time.Duration
	// Resync is the period of a full re-read, a safety net for missed events
	// and for paths that do not exist yet; negative disables it.
	Resync time.Duration
}

// Provider is the File provider runner.
type Provider struct {
	opts Options
	log  logr.Logger

	// infraKick is signalled when the infra states change.
	infraKick chan struct{}
	// batchDelay observes how long each burst of file events waited.
	batchDelay prometheus.Histogram

	// cache belongs to the Start goroutine. files, world and pathProblems
	// are written by it with mu held (so that the status handler can read
	// them with mu held); it reads them without.
	cache        *DocumentCache
	values       *intern.Table
	endpointsIR  *gatewayapi.EndpointsTranslator
	files        map[string]*fileState
	world        *inForce
	pathProblems []Problem

	mu sync.Mutex
	// synced is set once the first snapshots are published.
	synced bool
	// infra are the observed infra states; infraChanged is set when they
	// changed since the last Resources snapshot.
	infra        map[string]bus.InfraState
	infraChanged bool
}

// fileState is what the provider knows of one file.
type fileState struct {
	// stamp is of the content last read.
	stamp fileStamp
	// good is the last content that parsed and validated, nil if none did;
	// goodHash is the contentHash of its objects but EndpointSlices,
	// goodEndpointsHash that of its EndpointSlices.
	good              *Parsed
	goodHash          digest
	goodEndpointsHash digest
	// errors are the problems of the content last read; nil when it is good.
	errors []Problem
}

// New returns a File provider; Start runs it.
func New(opts Options) *Provider {
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.MaxDelay < opts.Debounce {
		opts.MaxDelay = max(DefaultMaxDelay, opts.Debounce)
	}
	if opts.Resync == 0 {
		opts.Resync = DefaultResync
	}
	p := &Provider{
		opts:       opts,
		log:        opts.Logger,
		infraKick:  make(chan struct{}, 1),
		batchDelay: NewBatchDelayHistogram(),
		files:      map[string]*fileState{},
		world:      newInForce(),
		cache:      NewDocumentCache(),
		values:     &intern.Table{},

		endpointsIR: gatewayapi.NewEndpointsTranslator(),
	}
	return p
}

// Collectors are the provider's metrics, for the control plane to register.
func (p *Provider) Collectors() []prometheus.Collector {
	return []prometheus.Collector{p.batchDelay}
}

// NewBatchDelayHistogram is envoy_gateway_provider_batch_delay_seconds: the
// time from the first event of a batch to the start of its processing (the
// debounce wait), kept apart from the processing time measured by the
// translators' histograms.
func NewBatchDelayHistogram() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "envoy_gateway_provider_batch_delay_seconds",
		Help:    "Time from the first event of a batch of changes to the start of its processing (batching delay).",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
	})
}

// Name implements runner.Runner.
func (p *Provider) Name() string { return "file-provider" }

// Synced reports nil once the first snapshot has been published.
func (p *Provider) Synced() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.synced {
		return errors.New("the files have not been read yet")
	}
	return nil
}

// SetInfraStates replaces the observed infra states; the provider publishes
// a new snapshot when they changed. states must not be modified afterwards.
func (p *Provider) SetInfraStates(states map[string]bus.InfraState) {
	p.mu.Lock()
	changed := !maps.EqualFunc(p.infra, states, infraStateEqual)
	if changed {
		p.infra, p.infraChanged = states, true
	}
	p.mu.Unlock()
	if changed {
		select {
		case p.infraKick <- struct{}{}:
		default:
		}
	}
}

// EndpointSlices returns the EndpointSlices of the endpoints snapshot
// published last (to be read only).
func (p *Provider) EndpointSlices() []*discoveryv1.EndpointSlice {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*discoveryv1.EndpointSlice
	for _, s := range p.world.endpoints.Services {
		out = append(out, s.EndpointSlices...)
	}
	return out
}

func infraStateEqual(a, b bus.InfraState) bool {
	return a.Ready == b.Ready && slices.Equal(a.Addresses, b.Addresses)
}

// Start reads the paths, publishes the first snapshot, then watches the
// paths until ctx is done.
func (p *Provider) Start(ctx context.Context) error {
	w := &watches{log: p.log}
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		// Typically the inotify instance limit: poll instead of failing.
		p.log.Error(err, "cannot watch files; re-reading them every "+pollInterval.String())
		p.opts.Resync = pollInterval
	} else {
		defer func() { _ = watcher.Close() }()
		w.watcher = watcher
	}
	p.sync(ctx, w)
	p.log.Info("file provider started", "paths", p.opts.Paths)
	return p.loop(ctx, w)
}

// loop waits for file events (debounced), resync ticks and infra changes.
func (p *Provider) loop(ctx context.Context, w *watches) error {
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	var resync <-chan time.Time
	if p.opts.Resync > 0 {
		t := time.NewTicker(p.opts.Resync)
		defer t.Stop()
		resync = t.C
	}
	var burstStart time.Time
	// pending are the paths of the events of the current burst.
	pending := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.events():
			if !ok {
				return errors.New("file watcher closed")
			}
			p.log.V(1).Info("file event", "event", ev.String())
			pending[filepath.Clean(ev.Name)] = true
			if burstStart.IsZero() {
				burstStart = time.Now()
			}
			wait := min(p.opts.Debounce, p.opts.MaxDelay-time.Since(burstStart))
			debounce.Reset(max(wait, 0))
		case err, ok := <-w.errors():
			if !ok {
				return errors.New("file watcher closed")
			}
			p.log.Error(err, "file watcher error; re-reading every file")
			p.sync(ctx, w)
		case <-debounce.C:
			p.batchDelay.Observe(time.Since(burstStart).Seconds())
			burstStart = time.Time{}
			p.syncPaths(ctx, w, pending)
			pending = map[string]bool{}
		case <-resync:
			p.sync(ctx, w)
		case <-p.infraKick:
			p.publish()
		}
	}
}
