package controllers

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/infra"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// RBAC of the infra manager: the fleets' objects live in the control plane's namespace.
// +kubebuilder:rbac:groups="",namespace=envoy-gateway-system,resources=serviceaccounts;configmaps,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=create;update;patch;delete
// +kubebuilder:rbac:groups=apps,namespace=envoy-gateway-system,resources=deployments,verbs=get;list;watch;create;update;patch;delete

// InfraOptions turn on the infra manager: the leader applies each fleet's
// ServiceAccount, bootstrap ConfigMap, Deployment and Service, and every
// snapshot carries the fleets' observed state (ready replicas, addresses).
type InfraOptions struct {
	// Render configures the rendered objects; Render.Namespace is where they live.
	Render render.Options
	// RateLimit is the static rateLimit configuration: the rate limit
	// service runs while a route uses global rate limits. Nil: not configured.
	RateLimit *egv1a1.RateLimit
}

// infraCacheOptions restricts the Deployment cache to the fleets' Deployments.
func infraCacheOptions(opts *InfraOptions) cache.Options {
	if opts == nil {
		return cache.Options{}
	}
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&appsv1.Deployment{}: {
			Label:      infra.Selector(),
			Namespaces: map[string]cache.Config{opts.Render.Namespace: {}},
		},
	}}
}

// setupInfra adds the leader-only infra runner to the manager and returns
// the observer whose States go into every snapshot.
func setupInfra(mgr manager.Manager, opts Options) (*infra.Observer, error) {
	m, err := infra.NewManager(infra.Options{
		Client:    mgr.GetClient(),
		Reader:    mgr.GetAPIReader(),
		Render:    opts.Infra.Render,
		Logger:    opts.Logger.WithName("infra"),
		RateLimit: opts.Infra.RateLimit,
	})
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(infra.NewRunner(infra.RunnerOptions{
		Manager: m,
		Results: opts.Results,
		Logger:  opts.Logger.WithName("infra"),
	})); err != nil {
		return nil, err
	}
	return infra.NewObserver(infra.ObserverOptions{Reader: mgr.GetClient(), Namespace: opts.Infra.Render.Namespace}), nil
}

// fleetObjectChanged passes events of the fleets' Deployments and Services.
func fleetObjectChanged(observer *infra.Observer) predicate.Predicate {
	return predicate.NewPredicateFuncs(func(o client.Object) bool {
		switch o.(type) {
		case *appsv1.Deployment, *corev1.Service:
			return observer.Owns(o)
		}
		return false
	})
}
