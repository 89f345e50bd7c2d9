package file

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// kind is one kind the translator reads: how to make its Go value and how to
// add one to a Resources snapshot.
type kind struct {
	newObject func() client.Object
	add       func(res *gatewayapi.Resources, obj client.Object)
}

// endpointSliceGVK is the kind of EndpointSlices, which go into the
// endpoints snapshot rather than the Resources snapshot.
var endpointSliceGVK = discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice")

// gatewayAPIv1 is the Gateway API group version the translator reads.
var gatewayAPIv1 = schema.GroupVersion{Group: gwapiv1.GroupVersion.Group, Version: gwapiv1.GroupVersion.Version}

// kinds are the kinds the File provider accepts, by the group/version/kind
// the translator reads. Other versions of these Gateway API kinds are
// validated against their own schema and read as v1 (their schemas are the
// same and the CRDs convert with strategy None).
var kinds = map[schema.GroupVersionKind]kind{
	gatewayAPIv1.WithKind("GatewayClass"): {
		newObject: func() client.Object { return &gwapiv1.GatewayClass{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.GatewayClasses = append(r.GatewayClasses, o.(*gwapiv1.GatewayClass))
		},
	},
	gatewayAPIv1.WithKind("Gateway"): {
		newObject: func() client.Object { return &gwapiv1.Gateway{} },
		add:       func(r *gatewayapi.Resources, o client.Object) { r.Gateways = append(r.Gateways, o.(*gwapiv1.Gateway)) },
	},
	gatewayAPIv1.WithKind("ListenerSet"): {
		newObject: func() client.Object { return &gwapiv1.ListenerSet{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.ListenerSets = append(r.ListenerSets, o.(*gwapiv1.ListenerSet))
		},
	},
	gatewayAPIv1.WithKind("HTTPRoute"): {
		newObject: func() client.Object { return &gwapiv1.HTTPRoute{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.HTTPRoutes = append(r.HTTPRoutes, o.(*gwapiv1.HTTPRoute))
		},
	},
	gatewayAPIv1.WithKind("GRPCRoute"): {
		newObject: func() client.Object { return &gwapiv1.GRPCRoute{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.GRPCRoutes = append(r.GRPCRoutes, o.(*gwapiv1.GRPCRoute))
		},
	},
	gatewayAPIv1.WithKind("TLSRoute"): {
		newObject: func() client.Object { return &gwapiv1.TLSRoute{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.TLSRoutes = append(r.TLSRoutes, o.(*gwapiv1.TLSRoute))
		},
	},
	gatewayAPIv1.WithKind("TCPRoute"): {
		newObject: func() client.Object { return &gwapiv1.TCPRoute{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.TCPRoutes = append(r.TCPRoutes, o.(*gwapiv1.TCPRoute))
		},
	},
	gatewayAPIv1.WithKind("BackendTLSPolicy"): {
		newObject: func() client.Object { return &gwapiv1.BackendTLSPolicy{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.BackendTLSPolicies = append(r.BackendTLSPolicies, o.(*gwapiv1.BackendTLSPolicy))
		},
	},
	gatewayAPIv1.WithKind("ReferenceGrant"): {
		newObject: func() client.Object { return &gwapiv1.ReferenceGrant{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.ReferenceGrants = append(r.ReferenceGrants, o.(*gwapiv1.ReferenceGrant))
		},
	},
	corev1.SchemeGroupVersion.WithKind("Namespace"): {
		newObject: func() client.Object { return &corev1.Namespace{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.Namespaces = append(r.Namespaces, o.(*corev1.Namespace))
		},
	},
	corev1.SchemeGroupVersion.WithKind("Service"): {
		newObject: func() client.Object { return &corev1.Service{} },
		add:       func(r *gatewayapi.Resources, o client.Object) { r.Services = append(r.Services, o.(*corev1.Service)) },
	},
	corev1.SchemeGroupVersion.WithKind("Secret"): {
		newObject: func() client.Object { return &corev1.Secret{} },
		add:       func(r *gatewayapi.Resources, o client.Object) { r.Secrets = append(r.Secrets, o.(*corev1.Secret)) },
	},
	corev1.SchemeGroupVersion.WithKind("ConfigMap"): {
		newObject: func() client.Object { return &corev1.ConfigMap{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.ConfigMaps = append(r.ConfigMaps, o.(*corev1.ConfigMap))
		},
	},
	endpointSliceGVK: {
		newObject: func() client.Object { return &discoveryv1.EndpointSlice{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.EndpointSlices = append(r.EndpointSlices, o.(*discoveryv1.EndpointSlice))
		},
	},
	egv1a1.GroupVersion.WithKind(egv1a1.KindEnvoyProxy): {
		newObject: func() client.Object { return &egv1a1.EnvoyProxy{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.EnvoyProxies = append(r.EnvoyProxies, o.(*egv1a1.EnvoyProxy))
		},
	},
	egv1a1.GroupVersion.WithKind(egv1a1.KindRateLimitFilter): {
		newObject: func() client.Object { return &egv1a1.RateLimitFilter{} },
		add: func(r *gatewayapi.Resources, o client.Object) {
			r.RateLimitFilters = append(r.RateLimitFilters, o.(*egv1a1.RateLimitFilter))
		},
	},
}

// translatorGVK returns the group/version/kind the translator reads objects
// of gvk as, and whether the kind is accepted at all.
func translatorGVK(gvk schema.GroupVersionKind) (schema.GroupVersionKind, bool) {
	if _, ok := kinds[gvk]; ok {
		return gvk, true
	}
	if gvk.Group == gwapiv1.GroupName {
		v1 := gatewayAPIv1.WithKind(gvk.Kind)
		_, ok := kinds[v1]
		return v1, ok
	}
	return gvk, false
}
