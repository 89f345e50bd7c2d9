package controllers

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// TestRouteStatusesShareTheirValues checks that two routes decoded with
// the same status hold one copy of its strings and pointers, with their
// values unchanged.
func TestRouteStatusesShareTheirValues(t *testing.T) {
	tr := &cacheTransform{}
	a := &gwapiv1.HTTPRoute{Status: gwapiv1.HTTPRouteStatus{RouteStatus: decodedStatus("Route is accepted")}}
	b := &gwapiv1.GRPCRoute{Status: gwapiv1.GRPCRouteStatus{RouteStatus: decodedStatus("Route is accepted")}}
	want := a.Status.DeepCopy()
	for _, o := range []any{a, b} {
		if _, err := tr.transform(o); err != nil {
			t.Fatal(err)
		}
	}
	if !equality.Semantic.DeepEqual(&a.Status, want) || !equality.Semantic.DeepEqual(b.Status.RouteStatus, want.RouteStatus) {
		t.Fatalf("the statuses changed:\n%+v\n%+v\nwant %+v", a.Status, b.Status, want)
	}
	pa, pb := a.Status.Parents[0], b.Status.Parents[0]
	ca, cb := pa.Conditions[0], pb.Conditions[0]
	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	for name, shared := range map[string]bool{
		"group":      pa.ParentRef.Group == pb.ParentRef.Group,
		"kind":       pa.ParentRef.Kind == pb.ParentRef.Kind,
		"namespace":  pa.ParentRef.Namespace == pb.ParentRef.Namespace,
		"section":    pa.ParentRef.SectionName == pb.ParentRef.SectionName,
		"name":       same(string(pa.ParentRef.Name), string(pb.ParentRef.Name)),
		"controller": same(string(pa.ControllerName), string(pb.ControllerName)),
		"type":       same(ca.Type, cb.Type),
		"status":     same(string(ca.Status), string(cb.Status)),
		"reason":     same(ca.Reason, cb.Reason),
		"message":    same(ca.Message, cb.Message),
	} {
		if !shared {
			t.Errorf("the routes hold two copies of their status's %s", name)
		}
	}
}

// TestSharedValuesAreBounded checks that once maxShared values are held,
// or for a value longer than maxSharedLen, a status keeps its own copy.
func TestSharedValuesAreBounded(t *testing.T) {
	v := &sharedValues{}
	for i := range maxShared {
		s := decodedStatus(fmt.Sprintf("message %d", i))
		v.shareRouteStatus(&s)
	}
	if len(v.values) != maxShared {
		t.Fatalf("%d values held, want %d", len(v.values), maxShared)
	}
	for _, message := range []string{"a message not seen", strings.Repeat("x", maxSharedLen+1)} {
		x, y := decodedStatus(message), decodedStatus(message)
		v.shareRouteStatus(&x)
		v.shareRouteStatus(&y)
		if mx, my := x.Parents[0].Conditions[0].Message, y.Parents[0].Conditions[0].Message; unsafe.StringData(mx) == unsafe.StringData(my) || mx != message {
			t.Errorf("message of %d bytes shared past the bound, or changed: %q", len(message), mx)
		}
	}
	if len(v.values) != maxShared {
		t.Errorf("%d values held, want at most %d", len(v.values), maxShared)
	}
}
