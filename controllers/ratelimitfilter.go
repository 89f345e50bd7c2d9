package controllers

import (
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// RBAC of the Kubernetes provider for RateLimitFilters, read only.
// +kubebuilder:rbac:groups=gateway.envoyproxy.io,resources=ratelimitfilters,verbs=get;list;watch

// collectRateLimitFilterRefs adds the RateLimitFilters a route's rules name
// in ExtensionRef filters (in the route's namespace) to keys.
func collectRateLimitFilterRefs(route *gwapiv1.HTTPRoute, keys sets.Set[types.NamespacedName]) {
	for _, rule := range route.Spec.Rules {
		for _, f := range rule.Filters {
			ref := f.ExtensionRef
			if f.Type != gwapiv1.HTTPRouteFilterExtensionRef || ref == nil {
				continue
			}
			if string(ref.Group) == egv1a1.GroupVersion.Group && string(ref.Kind) == egv1a1.KindRateLimitFilter {
				keys.Insert(types.NamespacedName{Namespace: route.Namespace, Name: string(ref.Name)})
			}
		}
	}
}

func newRateLimitFilter() *egv1a1.RateLimitFilter { return &egv1a1.RateLimitFilter{} }
