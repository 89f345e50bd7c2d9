package file

import (
	"context"
	"crypto/sha256"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/go-logr/logr"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
	"github.com/envoygw/envoy-gateway/internal/validation"
)

// Defaults of Options.
const (
	DefaultDebounce = 100 * time.Millisecond
	DefaultMaxDelay = time.Second
	DefaultResync   = 30 * time.Second
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

	// files, cache, pathProblems, published and publishedEndpoints belong
	// to the Start goroutine.
	files              map[string]*fileState
	cache              *DocumentCache
	pathProblems       []Problem
	published          [sha256.Size]byte
	publishedEndpoints [sha256.Size]byte

	mu      sync.Mutex
	infra   map[string]bus.InfraState
	status  Status
	sources map[objectRef]Source
	// endpointSlices are the EndpointSlices in force.
	endpointSlices []*discoveryv1.EndpointSlice
}

// fileState is what the provider knows of one file.
type fileState struct {
	// hash is of the content last read.
	hash [sha256.Size]byte
	// good is the last content that parsed and validated, nil if none did;
	// goodHash is the contentHash of its objects but EndpointSlices,
	// goodEndpointsHash that of its EndpointSlices.
	good              *Parsed
	goodHash          [sha256.Size]byte
	goodEndpointsHash [sha256.Size]byte
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
	return &Provider{
		opts:      opts,
		log:       opts.Logger,
		infraKick: make(chan struct{}, 1),
		files:     map[string]*fileState{},
		cache:     NewDocumentCache(),
	}
}

// Name implements runner.Runner.
func (p *Provider) Name() string { return "file-provider" }

// Synced reports nil once the first snapshot has been published.
func (p *Provider) Synced() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.status.Synced {
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
		p.infra = states
	}
	p.mu.Unlock()
	if changed {
		select {
		case p.infraKick <- struct{}{}:
		default:
		}
	}
}

// EndpointSlices returns the EndpointSlices in force (to be read only).
func (p *Provider) EndpointSlices() []*discoveryv1.EndpointSlice {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.endpointSlices
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
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.events():
			if !ok {
				return errors.New("file watcher closed")
			}
			p.log.V(1).Info("file event", "event", ev.String())
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
			burstStart = time.Time{}
			p.sync(ctx, w)
		case <-resync:
			p.sync(ctx, w)
		case <-p.infraKick:
			p.publish()
		}
	}
}
