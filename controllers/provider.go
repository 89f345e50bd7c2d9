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
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/infra"
	"github.com/envoygw/envoy-gateway/internal/message"
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
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// DefaultBatchDelay is how long the provider waits after an event for more
// events before it builds a snapshot.
const DefaultBatchDelay = 100 * time.Millisecond

// Options configure the Kubernetes provider.
type Options struct {
	// ControllerName is the GatewayClass controllerName we serve.
	ControllerName string
	// Namespace is the control plane's namespace (leader election lease).
	Namespace string
	// LeaderElection elects one replica to write status; every replica
	// builds snapshots and serves xDS.
	LeaderElection bool
	// LeaderElectionID names the lease.
	LeaderElectionID string
	// Resources receives a snapshot per batch of relevant events but
	// EndpointSlice ones.
	Resources *message.Watchable[*gatewayapi.Resources]
	// Endpoints receives the endpoints snapshot of the Services the last
	// Resources snapshot refers to: with each Resources snapshot (before
	// it), and alone per batch of EndpointSlice events.
	Endpoints *message.Watchable[*gatewayapi.Endpoints]
	// Results are the translator's output, whose statuses the leader writes.
	Results *message.Watchable[*gatewayapi.Result]
	// Applied, when set, adds the gateway.envoyproxy.io/Applied condition
	// to the statuses written, rewritten (at most once per BatchDelay) when
	// the proxies' state changes.
	Applied *applied.Tracker
	// InfraStates, if set, reports the observed state of each fleet; it is
	// read on every snapshot.
	InfraStates func(ctx context.Context) (map[string]gatewayapi.InfraState, error)
	// Infra, when set, runs the infra manager (leader only) and watches the
	// fleets' Deployments and Services to report their state.
	Infra *InfraOptions
	// BatchDelay is how long to wait for more events before building; 0 means DefaultBatchDelay.
	BatchDelay time.Duration
	// Registerer receives the provider's metrics; nil registers them nowhere.
	Registerer prometheus.Registerer
	Logger     logr.Logger
}

// Provider is the Kubernetes provider: a controller-runtime manager with the
// snapshot controller (every replica), the status writer and the GatewayClass
// finalizer controller (leader only).
type Provider struct {
	mgr    manager.Manager
	synced atomic.Bool
}

// Scheme returns a scheme with every type the provider reads or writes.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	err := errors.Join(clientgoscheme.AddToScheme(s), gwapiv1.Install(s), egv1a1.AddToScheme(s))
	return s, err
}

// New builds the provider's manager and controllers. Metrics go to
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
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Logger:                        opts.Logger,
		Cache:                         infraCacheOptions(opts.Infra),
		Controller:                    config.Controller{SkipNameValidation: new(true)},
		Metrics:                       metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:        "0",
		LeaderElection:                opts.LeaderElection,
		LeaderElectionID:              opts.LeaderElectionID,
		LeaderElectionNamespace:       opts.Namespace,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return nil, fmt.Errorf("kubernetes provider: %w", err)
	}
	p := &Provider{mgr: mgr}
	if err := setupIndexes(context.Background(), mgr); err != nil {
		return nil, err
	}
	var observer *infra.Observer
	if opts.Infra != nil {
		if observer, err = setupInfra(mgr, opts); err != nil {
			return nil, err
		}
		opts.InfraStates = observer.States
	}
	if err := p.setupSnapshotController(opts, observer); err != nil {
		return nil, err
	}
	if err := setupGatewayClassFinalizer(mgr, opts.ControllerName); err != nil {
		return nil, err
	}
	if err := mgr.Add(newStatusWriter(mgr.GetClient(), mgr.GetAPIReader(), opts)); err != nil {
		return nil, err
	}
	return p, nil
}

// Manager returns the underlying manager, for adding more runnables (infra).
func (p *Provider) Manager() manager.Manager { return p.mgr }

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
