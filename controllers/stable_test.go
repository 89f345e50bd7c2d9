package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

func route(uid, rv string) *gwapiv1.HTTPRoute {
	return &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "r-" + uid, UID: types.UID(uid), ResourceVersion: rv}}
}

// TestStableObjectsKeepsUnchangedPointers checks that an object read again
// with the same UID and resourceVersion gets its previous pointer, and
// that a changed, new or unidentified object keeps its own.
func TestStableObjectsKeepsUnchangedPointers(t *testing.T) {
	var s stableObjects
	first := &gatewayapi.Resources{
		HTTPRoutes: []*gwapiv1.HTTPRoute{route("a", "1"), route("b", "1"), route("", "1")},
		Services:   []*corev1.Service{{ObjectMeta: metav1.ObjectMeta{Name: "svc", UID: "s", ResourceVersion: "7"}}},
	}
	s.apply(first)
	next := &gatewayapi.Resources{
		HTTPRoutes: []*gwapiv1.HTTPRoute{route("a", "1"), route("b", "2"), route("", "1"), route("c", "1")},
		Services:   []*corev1.Service{{ObjectMeta: metav1.ObjectMeta{Name: "svc", UID: "s", ResourceVersion: "7"}}},
	}
	fresh := append([]*gwapiv1.HTTPRoute(nil), next.HTTPRoutes...)
	s.apply(next)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"unchanged route", next.HTTPRoutes[0], first.HTTPRoutes[0]},
		{"changed route (resourceVersion)", next.HTTPRoutes[1], fresh[1]},
		{"route without UID", next.HTTPRoutes[2], fresh[2]},
		{"new route", next.HTTPRoutes[3], fresh[3]},
		{"unchanged Service", next.Services[0], first.Services[0]},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: not the expected pointer", tc.name)
		}
	}
	// A third snapshot: route b at resourceVersion 2 is now the kept one.
	third := &gatewayapi.Resources{HTTPRoutes: []*gwapiv1.HTTPRoute{route("b", "2")}}
	s.apply(third)
	if third.HTTPRoutes[0] != fresh[1] {
		t.Error("the changed route's new object was not remembered")
	}
}
