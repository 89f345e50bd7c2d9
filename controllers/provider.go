package controllers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
	"github.com/envoygw/envoy-gateway/internal/runner"
)

// RBAC of the Kubernetes provider.
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses;gateways;listenersets;httproutes;grpcroutes;tlsroutes;tcproutes;referencegrants,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses/status;gateways/status;listenersets/status;httproutes/status;grpcroutes/status;tlsroutes/status;tcproutes/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses,verbs=update;patch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses/finalizers,verbs=update
// +kubebuilder:rbac:groups=gateway.envoyproxy.io,resources=envoyproxies,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.envoyproxy.io,resources=envoyproxies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=namespaces;services;secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// DefaultBatchDelay is how long the provider waits after an event for more
// events before it builds a snapshot.
const DefaultBatchDelay = 100 * time.Millisecond

// Options configure the Kubernetes provider.
type Options struct {
	// ControllerName is the GatewayClass controllerName we serve.
	ControllerName string
	// Resources receives a snapshot per batch of relevant events but
	// EndpointSlice ones.
	Resources *message.Watchable[*gatewayapi.Resources]
	// Endpoints receives the endpoints snapshot (in IR form) of the Services
	// the last Resources snapshot refers to: with each Resources snapshot
	// (before it), and alone per batch of EndpointSlice events.
	Endpoints *message.Watchable[*ir.Endpoints]
	// Results are the translator's output, whose statuses the leader-only
	// work (LeaderWork) writes.
	Results *message.Watchable[*gatewayapi.Result]
	// Applied, when set, adds the gateway.envoyproxy.io/Applied condition
	// to the statuses written, rewritten (at most once per BatchDelay) when
	// the proxies' state changes.
	Applied *applied.Tracker
	// Fleets, when set, makes the provider watch the fleets' Deployments
	// and Services and put their observed state into every snapshot.
	Fleets *FleetOptions
	// BatchDelay is how long to wait for more events before building; 0 means DefaultBatchDelay.
	BatchDelay time.Duration
	// Registerer receives the provider's metrics; nil registers them nowhere.
	Registerer prometheus.Registerer
	Logger     logr.Logger
}

// Provider is the Kubernetes provider: a controller-runtime manager, without
// leader election, whose snapshot controller publishes snapshots on every
// replica, and the leader-only work (LeaderWork) that whoever elects the
// leader runs: the status writer and the GatewayClass finalizer writer.
type Provider struct {
	mgr        manager.Manager
	recorder   recorder.EventRecorder
	synced     atomic.Bool
	leaderWork []runner.Runner
}

// Scheme returns a scheme with every type the provider reads or writes.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	err := errors.Join(clientgoscheme.AddToScheme(s), gwapiv1.Install(s), egv1a1.AddToScheme(s))
	return s, err
}

// New builds the provider's manager and controllers. The manager has no
// leader election: an API-server outage must never stop it (see
// internal/leader). Metrics go to
// controller-runtime's global registry (served by our admin listener), so the
// manager's own metrics and probe servers are off.
func New(cfg *rest.Config, opts Options) (*Provider, error) {
	if opts.ControllerName == "" || opts.Resources == nil || opts.Endpoints == nil || opts.Results == nil {
		return nil, errors.New("kubernetes provider: ControllerName, Resources, Endpoints and Results are required")
	}
	if opts.BatchDelay == 0 {
		opts.BatchDelay = DefaultBatchDelay
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	transform := &cacheTransform{}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 opts.Logger,
		Cache:                  fleetCacheOptions(opts.Fleets, transform.transform),
		Controller:             config.Controller{SkipNameValidation: new(true)},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, fmt.Errorf("kubernetes provider: %w", err)
	}
	p := &Provider{mgr: mgr, recorder: mgr.GetEventRecorder(eventReporter)}
	if err := setupIndexes(context.Background(), mgr); err != nil {
		return nil, err
	}
	if err := transform.keepStoredSpecs(context.Background(), mgr.GetCache()); err != nil {
		return nil, fmt.Errorf("kubernetes provider: %w", err)
	}
	if err := p.setupSnapshotController(opts); err != nil {
		return nil, err
	}
	writer, err := newStatusWriter(mgr.GetClient(), mgr.GetAPIReader(), p.recorder, opts)
	if err != nil {
		return nil, err
	}
	writer.informers = mgr.GetCache()
	p.leaderWork = []runner.Runner{
		writer,
		newFinalizerWriter(mgr.GetClient(), mgr.GetAPIReader(), opts),
	}
	return p, nil
}

// LeaderWork returns the work only the leader may do: writing the statuses
// of each result and the GatewayClass finalizers of each snapshot. Each
// runner works from the latest published value when it starts, stops when
// its context ends, and may be started again (once per leader term).
func (p *Provider) LeaderWork() []runner.Runner { return p.leaderWork }

// Client returns the provider's client, which reads from its informer cache.
func (p *Provider) Client() client.Client { return p.mgr.GetClient() }

// APIReader returns a reader that reads from the API server directly.
func (p *Provider) APIReader() client.Reader { return p.mgr.GetAPIReader() }

// Name implements runner.Runner.
func (p *Provider) Name() string { return "kubernetes-provider" }

// Start runs the manager until ctx is done.
func (p *Provider) Start(ctx context.Context) error {
	return p.mgr.Start(ctx)
}

// Ready reports nil once the first snapshot has been published.
func (p *Provider) Ready() error {
	if !p.synced.Load() {
		return errors.New("caches have not synced and no snapshot has been published yet")
	}
	return nil
}
