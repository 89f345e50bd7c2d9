package controlplane

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/admin"
	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
	"github.com/envoygw/envoy-gateway/internal/runner"
	xdsserver "github.com/envoygw/envoy-gateway/internal/xds/server"
)

// ShutdownTimeout bounds how long the runners may take to stop after SIGTERM.
const ShutdownTimeout = 20 * time.Second

// Options configure a control plane.
type Options struct {
	Config *egv1a1.EnvoyGateway
	Logger logr.Logger
	// Registry receives every metric; nil means controller-runtime's global
	// registry, so that controller metrics are served too.
	Registry *prometheus.Registry
	// RestConfig is the cluster to use with the Kubernetes provider; nil
	// means the usual lookup (--kubeconfig, KUBECONFIG, in-cluster).
	RestConfig *rest.Config
}

// ControlPlane is the set of runners of one server process.
type ControlPlane struct {
	cfg        *egv1a1.EnvoyGateway
	log        logr.Logger
	registerer prometheus.Registerer
	admin      *admin.Server
	runners    []runner.Runner
	restConfig *rest.Config
	xdsServer  *xdsserver.Server
	// applied computes the gateway.envoyproxy.io/Applied conditions the
	// status writers add.
	applied *applied.Tracker

	// resources carries provider snapshots to the resource translator.
	resources *message.Watchable[*gatewayapi.Resources]
	// results carries translation results to the status writers.
	results *message.Watchable[*gatewayapi.Result]
	// fleets carries the fleets of each translation result to the xDS
	// runner and the infra manager.
	fleets *message.Watchable[*bus.FleetSet]
	// endpoints carries provider endpoints snapshots to the xDS runner:
	// endpoint churn bypasses the resource translator.
	endpoints *message.Watchable[*ir.Endpoints]
}

// New builds the runners for the static configuration. It binds the admin
// listener, so a port conflict is reported before anything starts.
func New(opts Options) (*ControlPlane, error) {
	var registerer prometheus.Registerer = ctrlmetrics.Registry
	var gatherer prometheus.Gatherer = ctrlmetrics.Registry
	if opts.Registry != nil {
		registerer, gatherer = opts.Registry, opts.Registry
	}
	for _, c := range message.Collectors() {
		if err := registerer.Register(c); err != nil {
			if _, ok := err.(prometheus.AlreadyRegisteredError); !ok {
				return nil, err
			}
		}
	}
	adminServer := admin.New(admin.Options{
		Address:     opts.Config.Admin.Address,
		EnablePprof: opts.Config.Admin.EnablePprof,
		Gatherer:    gatherer,
		Logger:      opts.Logger.WithName("admin"),
	})
	if err := adminServer.Listen(); err != nil {
		return nil, err
	}
	cp := &ControlPlane{
		cfg:        opts.Config,
		log:        opts.Logger,
		registerer: registerer,
		admin:      adminServer,
		restConfig: opts.RestConfig,
		resources:  message.NewWatchable[*gatewayapi.Resources]("resources"),
		results:    message.NewWatchable[*gatewayapi.Result]("results"),
		fleets:     message.NewWatchable[*bus.FleetSet]("fleets"),
		endpoints:  message.NewWatchable[*ir.Endpoints]("endpoints"),
	}
	xdsRunners, err := cp.xdsRunners()
	if err != nil {
		_ = adminServer.Close()
		return nil, err
	}
	translator, err := cp.translatorRunner()
	if err != nil {
		_ = adminServer.Close()
		return nil, err
	}
	cp.runners = append(cp.runners, adminServer)
	cp.runners = append(cp.runners, xdsRunners...)
	cp.runners = append(cp.runners, translator)
	switch opts.Config.Provider.Type {
	case egv1a1.ProviderTypeFile:
		err = cp.addFileRunners()
	case egv1a1.ProviderTypeKubernetes:
		err = cp.addKubernetesRunners()
	default:
		err = fmt.Errorf("provider.type %q is not supported", opts.Config.Provider.Type)
	}
	if err != nil {
		_ = adminServer.Close()
		return nil, err
	}
	return cp, nil
}

// batchDelay is the providers' batching delay; 0 (unset) lets them use their default.
func (c *ControlPlane) batchDelay() time.Duration {
	if d := c.cfg.Provider.BatchDelay; d != nil {
		return d.Duration
	}
	return 0
}

// AdminAddress returns the bound admin address.
func (c *ControlPlane) AdminAddress() string { return c.admin.Addr() }

// Run runs every runner until ctx is done, then stops them within ShutdownTimeout.
func (c *ControlPlane) Run(ctx context.Context) error {
	c.log.Info("control plane starting",
		"controllerName", c.cfg.Gateway.ControllerName,
		"provider", c.cfg.Provider.Type,
		"admin", c.admin.Addr())
	return runner.Group{ShutdownTimeout: ShutdownTimeout, Logger: c.log}.Run(ctx, c.runners...)
}
