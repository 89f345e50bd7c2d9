package controllers

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestStatusWriteKeepsStoredSpec checks that a route the informer decodes
// again at the same generation (a status write) takes the spec of the
// object stored, sharing its memory, while its own metadata and status
// are kept; and that a new generation, another object of the same name
// (another UID), or no stored object leave the decoded spec alone.
func TestStatusWriteKeepsStoredSpec(t *testing.T) {
	route := func(uid types.UID, generation int64, status string) *gwapiv1.HTTPRoute {
		return &gwapiv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: strings.Clone("ns"), Name: strings.Clone("web"), UID: types.UID(strings.Clone(string(uid))),
				Generation: generation, ResourceVersion: status, Labels: map[string]string{"app": "web"},
			},
			Spec: gwapiv1.HTTPRouteSpec{
				Hostnames: []gwapiv1.Hostname{"web.example.com"},
				Rules:     []gwapiv1.HTTPRouteRule{{Name: new(gwapiv1.SectionName("r"))}},
			},
			Status: gwapiv1.HTTPRouteStatus{RouteStatus: gwapiv1.RouteStatus{Parents: []gwapiv1.RouteParentStatus{{
				ControllerName: gwapiv1.GatewayController(status),
			}}}},
		}
	}
	stored := route("u1", 2, "old")
	store := toolscache.NewStore(toolscache.MetaNamespaceKeyFunc)
	if err := store.Add(stored); err != nil {
		t.Fatal(err)
	}
	tr := &cacheTransform{}
	tr.setStore(&gwapiv1.HTTPRoute{}, store)
	for _, tc := range []struct {
		name   string
		in     *gwapiv1.HTTPRoute
		shared bool
	}{
		{name: "status write", in: route("u1", 2, "new"), shared: true},
		{name: "spec change", in: route("u1", 3, "new")},
		{name: "recreated", in: route("u2", 2, "new")},
		{name: "no generation", in: route("u1", 0, "new")},
	} {
		out, err := tr.transform(tc.in)
		if err != nil || out != tc.in {
			t.Fatalf("%s: transform returned %v, %v; want the object given", tc.name, out, err)
		}
		shared := &tc.in.Spec.Rules[0] == &stored.Spec.Rules[0] && &tc.in.Spec.Hostnames[0] == &stored.Spec.Hostnames[0]
		if shared != tc.shared {
			t.Errorf("%s: spec shared with the stored object: %v, want %v", tc.name, shared, tc.shared)
		}
		sharedName := unsafe.StringData(tc.in.Name) == unsafe.StringData(stored.Name) &&
			unsafe.StringData(string(tc.in.UID)) == unsafe.StringData(string(stored.UID)) &&
			reflect.ValueOf(tc.in.Labels).UnsafePointer() == reflect.ValueOf(stored.Labels).UnsafePointer()
		if sharedName != tc.shared {
			t.Errorf("%s: name, UID and labels shared with the stored object: %v, want %v", tc.name, sharedName, tc.shared)
		}
		if tc.in.ResourceVersion != "new" || tc.in.Status.Parents[0].ControllerName != "new" {
			t.Errorf("%s: the object lost its own metadata or status: %v", tc.name, tc.in)
		}
	}
	other := &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "api", UID: "u3", Generation: 1},
		Spec: gwapiv1.HTTPRouteSpec{Hostnames: []gwapiv1.Hostname{"api.example.com"}}}
	if _, err := tr.transform(other); err != nil || other.Spec.Hostnames[0] != "api.example.com" {
		t.Errorf("a route not stored changed: %v, %v", other.Spec, err)
	}
	grpc := &gwapiv1.GRPCRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "u1", Generation: 2}}
	if _, err := tr.transform(grpc); err != nil {
		t.Errorf("a kind without a store: %v", err)
	}
}
