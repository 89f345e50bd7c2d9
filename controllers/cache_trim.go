package controllers

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// trimCached is the provider's cache transform: it takes out of each
// object, before the informer stores it, what nothing here reads and what
// would otherwise be most of the object in a real cluster.
//
//   - Every object: its managedFields (nothing here reads them; an update
//     leaving them unset leaves them as they are).
//   - The Gateway API objects the provider writes only the status of
//     (every kind but GatewayClass, whose finalizer is written with the
//     whole object): the annotation kubectl apply keeps the last applied
//     object in, as large as the object itself. A status update of a
//     custom resource takes the status only, so the object written back
//     without it keeps it.
//   - EndpointSlices, which the provider never writes: all but what the
//     resource translator reads (see trimEndpointSlice).
//
// Nothing else is changed: GatewayClasses, Services, Secrets and the
// fleets' objects are written from the cache, or may be.
func trimCached(in any) (any, error) {
	in, err := stripManagedFields(in)
	if err != nil {
		return in, err
	}
	switch obj := in.(type) {
	case *discoveryv1.EndpointSlice:
		trimEndpointSlice(obj)
	case *gwapiv1.HTTPRoute, *gwapiv1.GRPCRoute, *gwapiv1.TLSRoute, *gwapiv1.TCPRoute,
		*gwapiv1.Gateway, *gwapiv1.ListenerSet, *gwapiv1.ReferenceGrant, *gwapiv1.BackendTLSPolicy:
		if o, ok := obj.(client.Object); ok {
			dropLastApplied(o)
		}
	}
	return in, nil
}

// stripManagedFields is controller-runtime's transform that drops an
// object's managedFields.
var stripManagedFields = cache.TransformStripManagedFields()

// dropLastApplied removes kubectl's last-applied-configuration annotation.
func dropLastApplied(o client.Object) {
	a := o.GetAnnotations()
	if _, ok := a[corev1.LastAppliedConfigAnnotation]; !ok {
		return
	}
	delete(a, corev1.LastAppliedConfigAnnotation)
	if len(a) == 0 {
		o.SetAnnotations(nil)
	}
}

// trimEndpointSlice keeps of s what the resource translator and the
// provider read (gatewayapi's serviceEndpoints, the slices' index by
// Service): its name, namespace, UID, versions and Service label, its
// address type and ports, and of each endpoint its addresses, its ready
// condition and its zone. The rest (the EndpointSlice controller's other
// labels and annotations, the owner reference, each endpoint's Pod
// reference, node name, hostname, hints and other conditions) goes. When
// the translator comes to read more of a slice, this keeps it too: the
// test comparing the translation of a full slice with that of its trimmed
// copy fails until it does.
func trimEndpointSlice(s *discoveryv1.EndpointSlice) {
	s.Annotations, s.OwnerReferences = nil, nil
	if service, ok := s.Labels[discoveryv1.LabelServiceName]; !ok {
		s.Labels = nil
	} else if len(s.Labels) > 1 {
		s.Labels = map[string]string{discoveryv1.LabelServiceName: service}
	}
	for i := range s.Endpoints {
		e := &s.Endpoints[i]
		e.Conditions = discoveryv1.EndpointConditions{Ready: e.Conditions.Ready}
		e.Hostname, e.TargetRef, e.NodeName, e.DeprecatedTopology, e.Hints = nil, nil, nil, nil, nil
	}
	gatewayapi.ClipEndpoints(s)
}
