package controllers

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/envoygw/envoy-gateway/internal/bus"
)

// RBAC of the fleet watch: the fleets' objects live in the control plane's namespace.
// +kubebuilder:rbac:groups=apps,namespace=envoy-gateway-system,resources=deployments,verbs=get;list;watch

// FleetOptions make every snapshot carry the observed state of the Envoy
// fleets: the provider watches the fleets' Deployments and Services (only
// them, in Namespace, selected by Selector) and calls States with its cache
// on every snapshot. Whoever runs the fleets says how they are found and
// what their state is; the provider only gathers it.
type FleetOptions struct {
	// Namespace is where the fleets' Deployments and Services live.
	Namespace string
	// Selector selects them by label.
	Selector labels.Selector
	// States computes the state of every fleet, keyed by fleet name, from
	// a reader of the fleets' objects.
	States func(ctx context.Context, r client.Reader) (map[string]bus.InfraState, error)
}

// owns reports whether obj is a fleet object.
func (o *FleetOptions) owns(obj client.Object) bool {
	return obj.GetNamespace() == o.Namespace && o.Selector.Matches(labels.Set(obj.GetLabels()))
}

// fleetCacheOptions are the provider's cache options: objects go through
// transform (cacheTransform: they are kept without what nothing here
// reads, see trimCached, and a route written back by a status write keeps
// the spec stored, see keepSpec); the Deployment cache holds the fleets'
// Deployments only.
func fleetCacheOptions(opts *FleetOptions, transform toolscache.TransformFunc) cache.Options {
	o := cache.Options{DefaultTransform: transform}
	if opts != nil {
		o.ByObject = map[client.Object]cache.ByObject{
			&appsv1.Deployment{}: {
				Label:      opts.Selector,
				Namespaces: map[string]cache.Config{opts.Namespace: {}},
			},
		}
	}
	return o
}

// fleetObjectChanged passes events of the fleets' Deployments and Services.
func fleetObjectChanged(opts *FleetOptions) predicate.Predicate {
	return predicate.NewPredicateFuncs(func(o client.Object) bool {
		switch o.(type) {
		case *appsv1.Deployment, *corev1.Service:
			return opts.owns(o)
		}
		return false
	})
}
