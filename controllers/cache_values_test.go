package controllers

import (
	"strings"
	"testing"
	"unsafe"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// decodedStatus is a route status whose every string is its own copy, as
// the JSON decoder makes them.
func decodedStatus(message string) gwapiv1.RouteStatus {
	c := func(s string) string { return strings.Clone(s) }
	return gwapiv1.RouteStatus{Parents: []gwapiv1.RouteParentStatus{{
		ParentRef: gwapiv1.ParentReference{
			Group: new(gwapiv1.Group(c(gwapiv1.GroupName))), Kind: new(gwapiv1.Kind(c("Gateway"))),
			Namespace: new(gwapiv1.Namespace(c("gateways"))), Name: gwapiv1.ObjectName(c("eg")),
			SectionName: new(gwapiv1.SectionName(c("http"))),
		},
		ControllerName: gwapiv1.GatewayController(c("gateway.envoyproxy.io/gatewayclass-controller")),
		Conditions: []metav1.Condition{{
			Type: c("Accepted"), Status: metav1.ConditionStatus(c("True")), Reason: c("Accepted"), Message: c(message),
			ObservedGeneration: 1,
		}},
	}}}
}

// TestRouteStatusesShareTheirValues checks that routes decoded with the
// same status hold one copy of its strings and pointers (from the second
// route on: a value is shared once seen twice), with their values
// unchanged.
func TestRouteStatusesShareTheirValues(t *testing.T) {
	tr := &cacheTransform{}
	a := &gwapiv1.HTTPRoute{Status: gwapiv1.HTTPRouteStatus{RouteStatus: decodedStatus("Route is accepted")}}
	b := &gwapiv1.GRPCRoute{Status: gwapiv1.GRPCRouteStatus{RouteStatus: decodedStatus("Route is accepted")}}
	c := &gwapiv1.HTTPRoute{Status: gwapiv1.HTTPRouteStatus{RouteStatus: decodedStatus("Route is accepted")}}
	want := a.Status.DeepCopy()
	for _, o := range []any{a, b, c} {
		if _, err := tr.transform(o); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []gwapiv1.RouteStatus{a.Status.RouteStatus, b.Status.RouteStatus, c.Status.RouteStatus} {
		if !equality.Semantic.DeepEqual(s, want.RouteStatus) {
			t.Fatalf("a status changed:\n%+v\nwant %+v", s, want.RouteStatus)
		}
	}
	pb, pc := b.Status.Parents[0], c.Status.Parents[0]
	cb, cc := pb.Conditions[0], pc.Conditions[0]
	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	for name, shared := range map[string]bool{
		"group":      pb.ParentRef.Group == pc.ParentRef.Group,
		"kind":       pb.ParentRef.Kind == pc.ParentRef.Kind,
		"namespace":  pb.ParentRef.Namespace == pc.ParentRef.Namespace,
		"section":    pb.ParentRef.SectionName == pc.ParentRef.SectionName,
		"name":       same(string(pb.ParentRef.Name), string(pc.ParentRef.Name)),
		"controller": same(string(pb.ControllerName), string(pc.ControllerName)),
		"type":       same(cb.Type, cc.Type),
		"status":     same(string(cb.Status), string(cc.Status)),
		"reason":     same(cb.Reason, cc.Reason),
		"message":    same(cb.Message, cc.Message),
		"conditions": &pb.Conditions[0] == &pc.Conditions[0],
	} {
		if !shared {
			t.Errorf("the routes hold two copies of their status's %s", name)
		}
	}
}

// decodedSlice is an EndpointSlice of Service name, its every value its
// own copy, as the protobuf decoder makes them.
func decodedSlice(name string) *discoveryv1.EndpointSlice {
	c := strings.Clone
	port, ready := int32(3000), true
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: c("team-a"), Name: c(name + "-1"),
			Labels: map[string]string{discoveryv1.LabelServiceName: c(name)},
		},
		AddressType: discoveryv1.AddressType(c("IPv4")),
		Ports: []discoveryv1.EndpointPort{{
			Name: new(c("http")), Port: &port, Protocol: new(corev1.Protocol(c("TCP"))),
		}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{c("10.0.0.1")}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
	}
}

// transformedUnchanged returns the objects "a", "b" and "c" of decoded
// after one cache transform, checking that each is unchanged.
func transformedUnchanged[T any](t *testing.T, decoded func(name string) T) []T {
	t.Helper()
	tr := &cacheTransform{}
	out := make([]T, 0, 3)
	for _, name := range []string{"a", "b", "c"} {
		o := decoded(name)
		if _, err := tr.transform(o); err != nil {
			t.Fatal(err)
		}
		if want := decoded(name); !equality.Semantic.DeepEqual(o, want) {
			t.Fatalf("%s changed:\n%+v\nwant %+v", name, o, want)
		}
		out = append(out, o)
	}
	return out
}

// TestCachedObjectsShareTheirValues checks that other kinds than routes
// (EndpointSlices here) share their repeated values too, unchanged.
func TestCachedObjectsShareTheirValues(t *testing.T) {
	slices := transformedUnchanged(t, decodedSlice)
	b, c := slices[1], slices[2]
	pb, pc := b.Ports[0], c.Ports[0]
	if pb.Name != pc.Name || pb.Port != pc.Port || pb.Protocol != pc.Protocol ||
		b.Endpoints[0].Conditions.Ready != c.Endpoints[0].Conditions.Ready ||
		unsafe.StringData(b.Namespace) != unsafe.StringData(c.Namespace) {
		t.Fatal("the slices hold their own copies of their ports, ready conditions or namespace")
	}
}

// TestNewSpecsShareTheirValues checks that routes whose spec is not the
// stored one's (new objects, new generations) share their spec's repeated
// values, unchanged.
func TestNewSpecsShareTheirValues(t *testing.T) {
	route := func(name string) *gwapiv1.HTTPRoute {
		c := strings.Clone
		return &gwapiv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Namespace: c("team-a"), Name: c(name), UID: types.UID(c(name)), Generation: 1},
			Spec: gwapiv1.HTTPRouteSpec{Rules: []gwapiv1.HTTPRouteRule{{BackendRefs: []gwapiv1.HTTPBackendRef{{
				BackendRef: gwapiv1.BackendRef{BackendObjectReference: gwapiv1.BackendObjectReference{
					Kind: new(gwapiv1.Kind(c("Service"))), Name: gwapiv1.ObjectName(c(name)), Port: new(gwapiv1.PortNumber(8080)),
				}},
			}}}}},
		}
	}
	routes := transformedUnchanged(t, route)
	rb, rc := routes[1].Spec.Rules[0].BackendRefs[0], routes[2].Spec.Rules[0].BackendRefs[0]
	if rb.Kind != rc.Kind || rb.Port != rc.Port || unsafe.StringData(routes[1].Namespace) != unsafe.StringData(routes[2].Namespace) {
		t.Fatal("the routes hold their own copies of their backends' kind and port, or of their namespace")
	}
	if unsafe.StringData(string(rb.Name)) == unsafe.StringData(string(rc.Name)) {
		t.Fatal("different names share their bytes")
	}
}
