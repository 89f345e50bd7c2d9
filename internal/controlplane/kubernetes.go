package controlplane

import (
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/envoygw/envoy-gateway/controllers"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// DefaultNamespace is the control plane's namespace when ENVOY_GATEWAY_NAMESPACE is unset.
const DefaultNamespace = "envoy-gateway-system"

// leaderElectionID names the lease electing the status and infra writer.
const leaderElectionID = "5b9825d2.gateway.envoyproxy.io"

// namespace returns the control plane's namespace.
func namespace() string {
	if ns := os.Getenv("ENVOY_GATEWAY_NAMESPACE"); ns != "" {
		return ns
	}
	return DefaultNamespace
}

// addKubernetesRunners adds the Kubernetes provider: the controllers that
// publish resource snapshots (every replica), and the leader-only status
// writer and infra manager.
func (c *ControlPlane) addKubernetesRunners() error {
	restCfg := c.restConfig
	if restCfg == nil {
		var err error
		if restCfg, err = ctrl.GetConfig(); err != nil {
			return fmt.Errorf("kubernetes provider: no cluster configuration: %w", err)
		}
	}
	leaderElection := true
	if k := c.cfg.Provider.Kubernetes; k != nil && k.LeaderElection != nil && k.LeaderElection.Disable {
		leaderElection = false
	}
	provider, err := controllers.New(restCfg, controllers.Options{
		ControllerName:   c.cfg.Gateway.ControllerName,
		Namespace:        namespace(),
		LeaderElection:   leaderElection,
		LeaderElectionID: leaderElectionID,
		Resources:        c.resources,
		Endpoints:        c.endpoints,
		Results:          c.results,
		Applied:          c.applied,
		Registerer:       c.registerer,
		BatchDelay:       c.batchDelay(),
		Infra:            &controllers.InfraOptions{Render: render.DefaultOptions(namespace()), RateLimit: c.cfg.RateLimit},
		Logger:           c.log.WithName("kubernetes"),
	})
	if err != nil {
		return err
	}
	c.admin.AddReadinessCheck("kubernetes-provider", provider.Ready)
	c.runners = append(c.runners, provider)
	return nil
}
