package controllers

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/benchheap"
)

// cachedObjects is how many objects each case of BenchmarkCachedObjectHeap
// decodes and keeps.
const cachedObjects = 10000

// BenchmarkCachedObjectHeap reports the heap an informer store holds per
// object (held-B/object: heap objects; resident-B/object: with the unused
// room of their pages, once free pages are returned), decoded as client-go
// decodes them (EndpointSlices from protobuf, HTTPRoutes from JSON), as
// they come and after trimCached: an EndpointSlice of three endpoints as
// the EndpointSlice controller writes it, and an HTTPRoute of two rules
// applied with kubectl (its last-applied-configuration annotation) with
// the status the provider writes.
func BenchmarkCachedObjectHeap(b *testing.B) {
	slice := controllerSlice("web-1", "10.0.0.1", "10.0.0.2", "10.0.0.3")
	slice.ManagedFields = nil // the default transform took them out before
	sliceBytes, err := slice.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	routeBytes, err := json.Marshal(appliedRoute())
	if err != nil {
		b.Fatal(err)
	}
	decodeSlice := func() any {
		s := &discoveryv1.EndpointSlice{}
		if err := s.Unmarshal(sliceBytes); err != nil {
			b.Fatal(err)
		}
		return s
	}
	decodeRoute := func() any {
		r := &gwapiv1.HTTPRoute{}
		if err := json.Unmarshal(routeBytes, r); err != nil {
			b.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		name   string
		decode func() any
	}{{"endpointslice", decodeSlice}, {"httproute", decodeRoute}} {
		for _, trim := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/trimmed=%v", c.name, trim), func(b *testing.B) {
				var held, resident int64
				for b.Loop() {
					before := benchheap.Settled()
					kept := make([]any, cachedObjects)
					for i := range kept {
						kept[i] = c.decode()
						if trim {
							if _, err := trimCached(kept[i]); err != nil {
								b.Fatal(err)
							}
						}
					}
					after := benchheap.Settled()
					held, resident = after.Objects-before.Objects, after.Resident-before.Resident
					runtime.KeepAlive(kept)
				}
				b.ReportMetric(float64(held)/cachedObjects, "held-B/object")
				b.ReportMetric(float64(resident)/cachedObjects, "resident-B/object")
			})
		}
	}
}

// appliedRoute is an HTTPRoute of two rules as the API server stores it
// once applied with kubectl and its status written: the annotation holds
// the route as applied.
func appliedRoute() *gwapiv1.HTTPRoute {
	pathPrefix, exact := gwapiv1.PathMatchPathPrefix, gwapiv1.PathMatchExact
	prefix, healthz := "/api", "/healthz"
	port := gwapiv1.PortNumber(8080)
	r := &gwapiv1.HTTPRoute{
		TypeMeta: metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "route-1", Namespace: "ns-1", UID: "0b6f7c1e-1d2a-4c55-9a6e-3c1f2b7d8e90",
			ResourceVersion: "123456", Generation: 1, CreationTimestamp: metav1.Now(),
		},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{Name: "eg"}}},
			Hostnames:       []gwapiv1.Hostname{"app-1.example.com"},
			Rules: []gwapiv1.HTTPRouteRule{
				{
					Matches: []gwapiv1.HTTPRouteMatch{{
						Path:    &gwapiv1.HTTPPathMatch{Type: &pathPrefix, Value: &prefix},
						Headers: []gwapiv1.HTTPHeaderMatch{{Name: "x-tenant", Value: "t-1"}},
					}},
					BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
						BackendObjectReference: gwapiv1.BackendObjectReference{Name: "svc-1-a", Port: &port}}}},
				},
				{
					Matches: []gwapiv1.HTTPRouteMatch{{Path: &gwapiv1.HTTPPathMatch{Type: &exact, Value: &healthz}}},
					Filters: []gwapiv1.HTTPRouteFilter{{
						Type: gwapiv1.HTTPRouteFilterRequestHeaderModifier,
						RequestHeaderModifier: &gwapiv1.HTTPHeaderFilter{
							Set: []gwapiv1.HTTPHeader{{Name: "x-probe", Value: "1"}},
						},
					}},
					BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
						BackendObjectReference: gwapiv1.BackendObjectReference{Name: "svc-1-b", Port: &port}}}},
				},
			},
		},
	}
	applied, err := json.Marshal(&gwapiv1.HTTPRoute{TypeMeta: r.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace}, Spec: r.Spec})
	if err != nil {
		panic(err)
	}
	r.Annotations = map[string]string{corev1.LastAppliedConfigAnnotation: string(applied) + "\n"}
	r.Status.Parents = []gwapiv1.RouteParentStatus{{
		ParentRef: gwapiv1.ParentReference{Name: "eg"}, ControllerName: "gateway.envoyproxy.io/gatewayclass-controller",
		Conditions: []metav1.Condition{
			{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", Message: "Route is accepted", ObservedGeneration: 1, LastTransitionTime: metav1.Now()},
			{Type: "ResolvedRefs", Status: metav1.ConditionTrue, Reason: "ResolvedRefs", Message: "Resolved all the Object references for the Route", ObservedGeneration: 1, LastTransitionTime: metav1.Now()},
		},
	}}
	return r
}
