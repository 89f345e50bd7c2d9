package controllers

import (
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// controllerSlice is an EndpointSlice as the EndpointSlice controller
// writes it: labels, annotation and owner of its own, a Pod reference,
// node, zone, hostname, hints and three conditions per endpoint, one
// endpoint not ready.
func controllerSlice(name string, addresses ...string) *discoveryv1.EndpointSlice {
	yes, no := true, false
	port, proto, portName := int32(8080), corev1.ProtocolTCP, "http"
	zone, node, host := "zone-a", "node-1", "pod-host"
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "ns", UID: types.UID("uid-" + name), ResourceVersion: "42", Generation: 3,
			Labels: map[string]string{
				discoveryv1.LabelServiceName: "web", discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io",
				"app": "web",
			},
			Annotations: map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": "2026-12-07T10:00:00Z"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Service", Name: "web", UID: "uid-web", Controller: &yes, BlockOwnerDeletion: &yes,
			}},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kube-controller-manager"}},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &port, Protocol: &proto}},
	}
	for i, a := range addresses {
		ready := i != 1
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{a},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &ready, Terminating: &no},
			Hostname:   &host,
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "web-" + a, UID: types.UID("pod-" + a)},
			NodeName:   &node,
			Zone:       &zone,
			Hints:      &discoveryv1.EndpointHints{ForZones: []discoveryv1.ForZone{{Name: zone}}},
		})
	}
	return s
}

// TestTrimmedEndpointSlicesTranslateAsTheirOriginals: the resource
// translator gives the same endpoints for EndpointSlices as the
// EndpointSlice controller writes them and for the cache's trimmed copies,
// and the trimmed ones keep none of what trimEndpointSlice takes out, nor
// room for more endpoints than they hold.
func TestTrimmedEndpointSlicesTranslateAsTheirOriginals(t *testing.T) {
	full := []*discoveryv1.EndpointSlice{
		controllerSlice("web-1", "10.0.0.1", "10.0.0.2", "10.0.0.3"),
		controllerSlice("web-2", "10.0.0.4", "10.0.0.5"),
	}
	full[1].Endpoints[0].Zone = nil
	trimmed := make([]*discoveryv1.EndpointSlice, 0, len(full))
	for _, s := range full {
		c := s.DeepCopy()
		c.Endpoints = slices.Grow(c.Endpoints, 8) // as decoding leaves them
		out, err := trimCached(c)
		if err != nil || out != c {
			t.Fatalf("trimCached returned %v, %v; want the object given", out, err)
		}
		trimmed = append(trimmed, c)
	}
	services := []gatewayapi.ObjectKey{{Namespace: "ns", Name: "web"}}
	want := gatewayapi.TranslateEndpoints(gatewayapi.NewEndpoints(services, full))
	got := gatewayapi.TranslateEndpoints(gatewayapi.NewEndpoints(services, trimmed))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("trimmed slices translate to %+v, want %+v", got, want)
	}
	for _, s := range trimmed {
		if s.ManagedFields != nil || s.Annotations != nil || s.OwnerReferences != nil ||
			!reflect.DeepEqual(s.Labels, map[string]string{discoveryv1.LabelServiceName: "web"}) {
			t.Errorf("%s: metadata kept: %+v", s.Name, s.ObjectMeta)
		}
		if s.UID == "" || s.ResourceVersion != "42" || s.Generation != 3 {
			t.Errorf("%s: identity or versions lost: %+v", s.Name, s.ObjectMeta)
		}
		if cap(s.Endpoints) >= len(s.Endpoints)+8 {
			t.Errorf("%s: room for %d endpoints kept for %d", s.Name, cap(s.Endpoints), len(s.Endpoints))
		}
		for _, e := range s.Endpoints {
			if e.Hostname != nil || e.TargetRef != nil || e.NodeName != nil || e.Hints != nil ||
				e.Conditions.Serving != nil || e.Conditions.Terminating != nil {
				t.Errorf("%s: endpoint %v keeps unread fields", s.Name, e.Addresses)
			}
		}
	}
}

// TestTrimCachedDropsLastAppliedOfStatusOnlyKinds: kubectl's
// last-applied-configuration annotation goes from the kinds the provider
// writes the status of only, other annotations stay, and the kinds it may
// write whole keep it; every kind loses its managedFields.
func TestTrimCachedDropsLastAppliedOfStatusOnlyKinds(t *testing.T) {
	meta := func(annotations map[string]string) metav1.ObjectMeta {
		return metav1.ObjectMeta{
			Name: "x", Namespace: "ns", Annotations: annotations,
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
		}
	}
	applied := func() map[string]string {
		return map[string]string{corev1.LastAppliedConfigAnnotation: `{"kind":"..."}`}
	}
	cases := []struct {
		obj  client.Object
		want map[string]string
	}{
		{&gwapiv1.HTTPRoute{ObjectMeta: meta(applied())}, nil},
		{&gwapiv1.Gateway{ObjectMeta: meta(map[string]string{corev1.LastAppliedConfigAnnotation: "{}", "team": "a"})},
			map[string]string{"team": "a"}},
		{&gwapiv1.GRPCRoute{ObjectMeta: meta(applied())}, nil},
		{&gwapiv1.TLSRoute{ObjectMeta: meta(applied())}, nil},
		{&gwapiv1.TCPRoute{ObjectMeta: meta(applied())}, nil},
		{&gwapiv1.ListenerSet{ObjectMeta: meta(applied())}, nil},
		{&gwapiv1.ReferenceGrant{ObjectMeta: meta(applied())}, nil},
		{&gwapiv1.BackendTLSPolicy{ObjectMeta: meta(applied())}, nil},
		{&gwapiv1.GatewayClass{ObjectMeta: meta(applied())}, applied()},
		{&corev1.Service{ObjectMeta: meta(applied())}, applied()},
		{&corev1.Secret{ObjectMeta: meta(applied())}, applied()},
		{&gwapiv1.HTTPRoute{ObjectMeta: meta(map[string]string{"team": "a"})}, map[string]string{"team": "a"}},
	}
	for _, c := range cases {
		if _, err := trimCached(c.obj); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c.obj.GetAnnotations(), c.want) {
			t.Errorf("%T: annotations %v, want %v", c.obj, c.obj.GetAnnotations(), c.want)
		}
		if c.obj.GetManagedFields() != nil {
			t.Errorf("%T: managedFields kept", c.obj)
		}
	}
}
