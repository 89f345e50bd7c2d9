package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra/bootstrap"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// File names in a fleet's state folder.
const (
	BootstrapFile    = "bootstrap.yaml"
	LogFile          = "envoy.log"
	AdminAddressFile = "admin-address"
)

// LoopbackAddress is the address reported for a running fleet.
const LoopbackAddress = "127.0.0.1"

// Options configure a Manager.
type Options struct {
	// Fleets is the fleets topic.
	Fleets *message.Watchable[*bus.FleetSet]
	// StateDir holds one folder per fleet (bootstrap, Envoy log).
	StateDir string
	// EnvoyPath is the Envoy binary; empty means `envoy` on PATH, if any.
	EnvoyPath string
	// Xds is where the proxies reach the xDS server.
	Xds XdsTarget
	// OnStates receives the InfraState of every running fleet whenever one
	// changes. The map must not be modified.
	OnStates func(map[string]bus.InfraState)
	Logger   logr.Logger
	// Backoff bounds restart delays; zero values mean 1s, 30s and 60s.
	Backoff Backoff
	// StopTimeout is how long Envoy may take to exit after SIGTERM (default 5s).
	StopTimeout time.Duration
	// ProbeInterval is the period of the admin /ready probe (default 1s).
	ProbeInterval time.Duration
	// RateLimit is the static rateLimit configuration: when set, the rate
	// limit service runs while a route uses global rate limits (see
	// ratelimit.go). RateLimitPath is its binary; empty means `ratelimit`
	// or `service_cmd` on PATH, if any.
	RateLimit     *egv1a1.RateLimit
	RateLimitPath string
}

// Manager runs the standalone data plane.
type Manager struct {
	opts   Options
	log    logr.Logger
	binary string

	// fleets belong to the Start goroutine.
	fleets map[string]*fleet

	mu     sync.Mutex
	states map[string]bus.InfraState

	// rateLimitBinary is the rate limit service binary, "" when there is
	// none; rateLimit runs it (nil when it does not run); both belong to
	// the Start goroutine, as does rateLimitHinted (the missing binary was
	// logged).
	rateLimitBinary string
	rateLimit       *rateLimitService
	rateLimitHinted bool
}

// fleet is a fleet's state folder and, with a binary, its supervised Envoy.
type fleet struct {
	dir       string
	bootstrap []byte
	args      []string
	cancel    context.CancelFunc
	done      chan struct{}
}

// New checks the options and looks for the Envoy binary.
func New(opts Options) (*Manager, error) {
	if opts.Fleets == nil || opts.StateDir == "" {
		return nil, errors.New("host infra needs Fleets and StateDir")
	}
	setDefaults(&opts)
	m := &Manager{opts: opts, log: opts.Logger, fleets: map[string]*fleet{}, states: map[string]bus.InfraState{}}
	binary, err := findEnvoy(opts.EnvoyPath)
	if err != nil {
		return nil, err
	}
	m.binary = binary
	if err := m.setupRateLimit(); err != nil {
		return nil, err
	}
	return m, nil
}

func setDefaults(o *Options) {
	if o.Backoff.Initial <= 0 {
		o.Backoff.Initial = time.Second
	}
	if o.Backoff.Max < o.Backoff.Initial {
		o.Backoff.Max = max(30*time.Second, o.Backoff.Initial)
	}
	if o.Backoff.Reset <= 0 {
		o.Backoff.Reset = time.Minute
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 5 * time.Second
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = time.Second
	}
	if o.OnStates == nil {
		o.OnStates = func(map[string]bus.InfraState) {}
	}
}

// findEnvoy returns the configured binary (which must exist), or `envoy`
// from PATH, or "" when there is none.
func findEnvoy(configured string) (string, error) {
	if configured != "" {
		path, err := exec.LookPath(configured)
		if err != nil {
			return "", fmt.Errorf("provider.file.envoyPath: %w", err)
		}
		return path, nil
	}
	path, err := exec.LookPath("envoy")
	if err != nil {
		return "", nil
	}
	return path, nil
}

// Binary returns the Envoy binary run per fleet, "" when there is none.
func (m *Manager) Binary() string { return m.binary }

// Name implements runner.Runner.
func (m *Manager) Name() string { return "host-infra" }

// Start follows the published fleet sets until ctx is done, then stops every Envoy.
func (m *Manager) Start(ctx context.Context) error {
	if err := os.MkdirAll(m.opts.StateDir, 0o755); err != nil {
		return fmt.Errorf("state folder: %w", err)
	}
	if m.binary == "" {
		m.log.Info("no envoy binary on PATH and provider.file.envoyPath is not set: "+
			"only writing each fleet's Envoy bootstrap (run `envoy -c <bootstrap>` yourself); xDS is served as usual",
			"stateDir", m.opts.StateDir)
	} else {
		m.log.Info("running one Envoy per fleet", "binary", m.binary, "stateDir", m.opts.StateDir)
	}
	m.opts.Fleets.Subscribe(ctx, m.reconcile, func(err error) {
		m.log.Error(err, "host infra recovered from a panic")
	})
	m.stopAll()
	return nil
}

// reconcile brings the fleets in line with one fleet set.
func (m *Manager) reconcile(set *bus.FleetSet) {
	if set == nil {
		return
	}
	want := map[string]*bus.Fleet{}
	for _, f := range set.Fleets {
		if f != nil && f.Infra != nil && f.Infra.Proxy != nil {
			want[f.Name] = f
		}
	}
	for name := range m.fleets {
		if _, ok := want[name]; !ok {
			m.removeFleet(name)
		}
	}
	for name, f := range want {
		if err := m.applyFleet(f); err != nil {
			m.log.Error(err, "cannot set up fleet", "fleet", name)
		}
	}
	m.reconcileRateLimit(set)
}

// FleetDir returns the state folder of a fleet: fleet names are
// "<namespace>/<gateway>" or "<gatewayclass>", and "/" becomes "_" (which no
// Kubernetes name contains).
func FleetDir(stateDir, fleetName string) string {
	return filepath.Join(stateDir, strings.ReplaceAll(fleetName, "/", "_"))
}

// applyFleet writes the fleet's bootstrap and, with a binary, (re)starts its Envoy.
func (m *Manager) applyFleet(f *bus.Fleet) error {
	dir := FleetDir(m.opts.StateDir, f.Name)
	b, err := Bootstrap(BootstrapOptions{Fleet: f.Name, NodeID: f.Name + "/host", Xds: m.opts.Xds})
	if err != nil {
		return err
	}
	content, err := bootstrap.YAML(b)
	if err != nil {
		return err
	}
	args := envoyArgs(dir, f.Infra.Proxy.Config.LogLevel)
	cur := m.fleets[f.Name]
	if cur != nil && bytes.Equal(cur.bootstrap, content) && slices.Equal(cur.args, args) {
		return nil
	}
	if cur != nil {
		m.stopFleet(f.Name, cur)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bootstrapPath := filepath.Join(dir, BootstrapFile)
	if err := os.WriteFile(bootstrapPath, content, 0o644); err != nil {
		return err
	}
	next := &fleet{dir: dir, bootstrap: content, args: args}
	m.fleets[f.Name] = next
	if m.binary == "" {
		m.log.Info("envoy bootstrap written", "fleet", f.Name, "bootstrap", bootstrapPath,
			"run", m.binaryHint()+" "+strings.Join(args, " "))
		return nil
	}
	m.startFleet(f.Name, next)
	return nil
}

func (m *Manager) binaryHint() string {
	if m.binary != "" {
		return m.binary
	}
	return "envoy"
}

// envoyArgs are the Envoy command-line arguments of a fleet.
func envoyArgs(dir, logLevel string) []string {
	args := []string{
		"-c", filepath.Join(dir, BootstrapFile),
		"--use-dynamic-base-id",
		"--admin-address-path", filepath.Join(dir, AdminAddressFile),
	}
	if logLevel == "warn" {
		logLevel = "warning" // Envoy's spelling
	}
	if logLevel != "" {
		args = append(args, "--log-level", logLevel)
	}
	return args
}

func (m *Manager) startFleet(name string, f *fleet) {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan struct{})
	go func() {
		defer close(f.done)
		supervise(ctx, processOptions{
			Fleet:            name,
			Binary:           m.binary,
			Args:             f.args,
			Dir:              f.dir,
			LogFile:          filepath.Join(f.dir, LogFile),
			AdminAddressFile: filepath.Join(f.dir, AdminAddressFile),
			Backoff:          m.opts.Backoff,
			StopTimeout:      m.opts.StopTimeout,
			ProbeInterval:    m.opts.ProbeInterval,
			Logger:           m.log,
			Report:           func(ready bool) { m.setState(name, ready) },
		})
	}()
}

// stopFleet stops the fleet's Envoy, if any, and forgets its state.
func (m *Manager) stopFleet(name string, f *fleet) {
	if f.cancel != nil {
		f.cancel()
		<-f.done
	}
	m.deleteState(name)
}

// removeFleet stops a fleet that is gone and removes its bootstrap (the
// Envoy log stays for inspection).
func (m *Manager) removeFleet(name string) {
	f := m.fleets[name]
	m.stopFleet(name, f)
	delete(m.fleets, name)
	_ = os.Remove(filepath.Join(f.dir, BootstrapFile))
	_ = os.Remove(filepath.Join(f.dir, AdminAddressFile))
	m.log.Info("fleet removed", "fleet", name)
}

// stopAll stops every Envoy and the rate limit service at once, so
// shutdown takes one StopTimeout at most, not one per process.
func (m *Manager) stopAll() {
	for _, f := range m.fleets {
		if f.cancel != nil {
			f.cancel()
		}
	}
	if m.rateLimit != nil {
		m.rateLimit.cancel()
	}
	for name, f := range m.fleets {
		m.stopFleet(name, f)
	}
	m.stopRateLimit()
}

// setState records a running fleet's readiness and reports the states.
func (m *Manager) setState(name string, ready bool) {
	st := bus.InfraState{Ready: ready}
	if ready {
		st.Addresses = []bus.Address{{Type: bus.AddressTypeIP, Value: LoopbackAddress}}
	}
	m.mu.Lock()
	m.states[name] = st
	states := maps.Clone(m.states)
	m.mu.Unlock()
	m.opts.OnStates(states)
}

func (m *Manager) deleteState(name string) {
	m.mu.Lock()
	_, had := m.states[name]
	delete(m.states, name)
	states := maps.Clone(m.states)
	m.mu.Unlock()
	if had {
		m.opts.OnStates(states)
	}
}

// States returns the current InfraState of every running fleet.
func (m *Manager) States() map[string]bus.InfraState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.states)
}
