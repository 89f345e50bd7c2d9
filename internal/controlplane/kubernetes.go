package controlplane

import (
	"context"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/envoygw/envoy-gateway/controllers"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
	"github.com/envoygw/envoy-gateway/internal/leader"
)

// DefaultNamespace is the control plane's namespace when ENVOY_GATEWAY_NAMESPACE is unset.
const DefaultNamespace = "envoy-gateway-system"

// leaderElectionID names the Lease electing the replica that does the
// leader-only work (statuses, finalizers, infra).
const leaderElectionID = "5b9825d2.gateway.envoyproxy.io"

// namespace returns the control plane's namespace.
func namespace() string {
	if ns := os.Getenv("ENVOY_GATEWAY_NAMESPACE"); ns != "" {
		return ns
	}
	return DefaultNamespace
}

// addKubernetesRunners adds the Kubernetes provider, which publishes
// resource and endpoints snapshots on every replica, and the leader-only
// work: the provider's status and finalizer writers and the infra manager,
// which runs the fleets in the control plane's namespace (the provider
// watches their objects and reports their state in its snapshots). With
// leader election (the default) an elector runs that work during the terms
// this replica wins; an API-server outage ends a term, never the process.
func (c *ControlPlane) addKubernetesRunners() error {
	restCfg := c.restConfig
	if restCfg == nil {
		var err error
		if restCfg, err = ctrl.GetConfig(); err != nil {
			return fmt.Errorf("kubernetes provider: no cluster configuration: %w", err)
		}
	}
	ns := namespace()
	observer := infra.Observer{Namespace: ns}
	provider, err := controllers.New(restCfg, controllers.Options{
		ControllerName: c.cfg.Gateway.ControllerName,
		Resources:      c.resources,
		Endpoints:      c.endpoints,
		Results:        c.results,
		Applied:        c.applied,
		Registerer:     c.registerer,
		BatchDelay:     c.batchDelay(),
		Fleets:         &controllers.FleetOptions{Namespace: ns, Selector: infra.Selector(), States: observer.States},
		Logger:         c.log.WithName("kubernetes"),
	})
	if err != nil {
		return err
	}
	infraRunner, err := c.infraRunner(provider, render.DefaultOptions(ns), observer)
	if err != nil {
		return err
	}
	c.admin.AddReadinessCheck("kubernetes-provider", provider.Ready)
	c.runners = append(c.runners, provider)
	work := append(provider.LeaderWork(), infraRunner)
	if k := c.cfg.Provider.Kubernetes; k != nil && k.LeaderElection != nil && k.LeaderElection.Disable {
		c.runners = append(c.runners, work...)
		return nil
	}
	elector, err := leader.New(leader.Options{
		Config:     restCfg,
		Namespace:  ns,
		Name:       leaderElectionID,
		Work:       work,
		Registerer: c.registerer,
		Logger:     c.log.WithName("leader"),
	})
	if err != nil {
		return err
	}
	c.runners = append(c.runners, elector)
	return nil
}

// infraRunner builds the infra manager, which applies the fleets' objects
// with the provider's clients, and its runner over the fleets topic.
func (c *ControlPlane) infraRunner(
	provider *controllers.Provider, opts render.Options, observer infra.Observer,
) (*infra.Runner, error) {
	log := c.log.WithName("infra")
	m, err := infra.NewManager(infra.Options{
		Client:    provider.Client(),
		Reader:    provider.APIReader(),
		Render:    opts,
		Logger:    log,
		Events:    provider.RecordFleetEvent,
		RateLimit: c.cfg.RateLimit,
	})
	if err != nil {
		return nil, err
	}
	observed := func(ctx context.Context) (map[string]bus.InfraState, error) {
		return observer.States(ctx, provider.Client())
	}
	return infra.NewRunner(infra.RunnerOptions{Manager: m, Fleets: c.fleets, Logger: log, Observed: observed}), nil
}
