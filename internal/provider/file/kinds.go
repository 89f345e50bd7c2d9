package file

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// kind is one kind the translator reads: how to make its Go value, how to
// add one to a Resources snapshot, and how to put a whole list of them
// there.
type kind struct {
	// gvk is the kind's group/version/kind and typeMeta its objects'
	// TypeMeta, made once: the strings every object of the kind shares
	// (each object decoded from a document would otherwise hold copies of
	// its own: about 60 bytes an object).
	gvk       schema.GroupVersionKind
	typeMeta  metav1.TypeMeta
	newObject func() client.Object
	add       func(res *gatewayapi.Resources, obj client.Object)
	// typed returns objects (all of the kind) as the kind's typed list, a
	// new slice exactly as long (nil for none); set puts such a list in res.
	typed func(objects []client.Object) any
	set   func(res *gatewayapi.Resources, list any)
}

// kindOf is the kind of the Go type T, held in the Resources list that
// field returns.
func kindOf[T client.Object](newObject func() T, field func(*gatewayapi.Resources) *[]T) *kind {
	return &kind{
		newObject: func() client.Object { return newObject() },
		add: func(res *gatewayapi.Resources, obj client.Object) {
			list := field(res)
			*list = append(*list, obj.(T))
		},
		typed: func(objects []client.Object) any {
			if len(objects) == 0 {
				return []T(nil)
			}
			out := make([]T, len(objects))
			for i, o := range objects {
				out[i] = o.(T)
			}
			return out
		},
		set: func(res *gatewayapi.Resources, list any) { *field(res) = list.([]T) },
	}
}

// endpointSliceGVK is the kind of EndpointSlices, which go into the
// endpoints snapshot rather than the Resources snapshot.
var endpointSliceGVK = discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice")

// gatewayAPIv1 is the Gateway API group version the translator reads.
var gatewayAPIv1 = schema.GroupVersion{Group: gwapiv1.GroupVersion.Group, Version: gwapiv1.GroupVersion.Version}

// kinds are the kinds the File provider accepts, by the group/version/kind
// the translator reads. Other versions of these Gateway API kinds are
// validated against their own schema and read as v1 (their schemas are the
// same and the CRDs convert with strategy None). Their kind names are
// distinct: objectKey names a kind by its name alone.
var kinds = withKeys(map[schema.GroupVersionKind]*kind{
	gatewayAPIv1.WithKind("GatewayClass"): kindOf(func() *gwapiv1.GatewayClass { return &gwapiv1.GatewayClass{} },
		func(r *gatewayapi.Resources) *[]*gwapiv1.GatewayClass { return &r.GatewayClasses }),
	gatewayAPIv1.WithKind("Gateway"): kindOf(func() *gwapiv1.Gateway { return &gwapiv1.Gateway{} },
		func(r *gatewayapi.Resources) *[]*gwapiv1.Gateway { return &r.Gateways }),
	gatewayAPIv1.WithKind("ListenerSet"): kindOf(func() *gwapiv1.ListenerSet { return &gwapiv1.ListenerSet{} },
		func(r *gatewayapi.Resources) *[]*gwapiv1.ListenerSet { return &r.ListenerSets }),
	gatewayAPIv1.WithKind("HTTPRoute"): kindOf(func() *gwapiv1.HTTPRoute { return &gwapiv1.HTTPRoute{} },
		func(r *gatewayapi.Resources) *[]*gwapiv1.HTTPRoute { return &r.HTTPRoutes }),
	gatewayAPIv1.WithKind("GRPCRoute"): kindOf(func() *gwapiv1.GRPCRoute { return &gwapiv1.GRPCRoute{} },
		func(r *gatewayapi.Resources) *[]*gwapiv1.GRPCRoute { return &r.GRPCRoutes }),
	gatewayAPIv1.WithKind("TLSRoute"): kindOf(func() *gwapiv1.TLSRoute { return &gwapiv1.TLSRoute{} },
		func(r *gatewayapi.Resources) *[]*gwapiv1.TLSRoute { return &r.TLSRoutes }),
	gatewayAPIv1.WithKind("TCPRoute"): kindOf(func() *gwapiv1.TCPRoute { return &gwapiv1.TCPRoute{} },
		func(r *gatewayapi.Resources) *[]*gwapiv1.TCPRoute { return &r.TCPRoutes }),
	gatewayAPIv1.WithKind("BackendTLSPolicy"): kindOf(func() *gwapiv1.BackendTLSPolicy { return &gwapiv1.BackendTLSPolicy{} },
		func(r *gatewayapi.Resources) *[]*gwapiv1.BackendTLSPolicy { return &r.BackendTLSPolicies }),
	gatewayAPIv1.WithKind("ReferenceGrant"): kindOf(func() *gwapiv1.ReferenceGrant { return &gwapiv1.ReferenceGrant{} },
		func(r *gatewayapi.Resources) *[]*gwapiv1.ReferenceGrant { return &r.ReferenceGrants }),
	corev1.SchemeGroupVersion.WithKind("Namespace"): kindOf(func() *corev1.Namespace { return &corev1.Namespace{} },
		func(r *gatewayapi.Resources) *[]*corev1.Namespace { return &r.Namespaces }),
	corev1.SchemeGroupVersion.WithKind("Service"): kindOf(func() *corev1.Service { return &corev1.Service{} },
		func(r *gatewayapi.Resources) *[]*corev1.Service { return &r.Services }),
	corev1.SchemeGroupVersion.WithKind("Secret"): kindOf(func() *corev1.Secret { return &corev1.Secret{} },
		func(r *gatewayapi.Resources) *[]*corev1.Secret { return &r.Secrets }),
	corev1.SchemeGroupVersion.WithKind("ConfigMap"): kindOf(func() *corev1.ConfigMap { return &corev1.ConfigMap{} },
		func(r *gatewayapi.Resources) *[]*corev1.ConfigMap { return &r.ConfigMaps }),
	endpointSliceGVK: kindOf(func() *discoveryv1.EndpointSlice { return &discoveryv1.EndpointSlice{} },
		func(r *gatewayapi.Resources) *[]*discoveryv1.EndpointSlice { return &r.EndpointSlices }),
	egv1a1.GroupVersion.WithKind(egv1a1.KindEnvoyProxy): kindOf(func() *egv1a1.EnvoyProxy { return &egv1a1.EnvoyProxy{} },
		func(r *gatewayapi.Resources) *[]*egv1a1.EnvoyProxy { return &r.EnvoyProxies }),
	egv1a1.GroupVersion.WithKind(egv1a1.KindRateLimitFilter): kindOf(func() *egv1a1.RateLimitFilter { return &egv1a1.RateLimitFilter{} },
		func(r *gatewayapi.Resources) *[]*egv1a1.RateLimitFilter { return &r.RateLimitFilters }),
})

// withKeys sets each kind's gvk and typeMeta from its key.
func withKeys(m map[schema.GroupVersionKind]*kind) map[schema.GroupVersionKind]*kind {
	for gvk, k := range m {
		k.gvk = gvk
		k.typeMeta.APIVersion, k.typeMeta.Kind = gvk.ToAPIVersionAndKind()
	}
	return m
}

// translatorKind returns the kind the translator reads objects of gvk as
// (the same group/version/kind, or v1 for another version of a Gateway
// API kind); false when the kind is not accepted at all.
func translatorKind(gvk schema.GroupVersionKind) (*kind, bool) {
	if k, ok := kinds[gvk]; ok {
		return k, true
	}
	if gvk.Group == gwapiv1.GroupName {
		k, ok := kinds[gatewayAPIv1.WithKind(gvk.Kind)]
		return k, ok
	}
	return nil, false
}
