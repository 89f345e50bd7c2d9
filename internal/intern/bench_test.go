package intern

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// benchRoute is an HTTPRoute of two rules as bench-e2e writes them, its
// every value its own copy.
func benchRoute(i int) *gwapiv1.HTTPRoute {
	c := strings.Clone
	rule := func(path string) gwapiv1.HTTPRouteRule {
		return gwapiv1.HTTPRouteRule{
			Matches: []gwapiv1.HTTPRouteMatch{{
				Path:    &gwapiv1.HTTPPathMatch{Type: new(gwapiv1.PathMatchType(c("PathPrefix"))), Value: new(c(path))},
				Headers: []gwapiv1.HTTPHeaderMatch{{Type: new(gwapiv1.HeaderMatchType(c("Exact"))), Name: "x-tenant", Value: c(fmt.Sprint(i))}},
			}},
			BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
				BackendObjectReference: gwapiv1.BackendObjectReference{
					Group: new(gwapiv1.Group(c(""))), Kind: new(gwapiv1.Kind(c("Service"))),
					Name: gwapiv1.ObjectName(c(fmt.Sprintf("svc-%d", i))), Port: new(gwapiv1.PortNumber(8080)),
				},
				Weight: new(int32(1)),
			}}},
		}
	}
	return &gwapiv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: c("ns-1"), Name: c(fmt.Sprintf("route-%d", i)), Generation: 1},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{
				Group: new(gwapiv1.Group(c(gwapiv1.GroupName))), Kind: new(gwapiv1.Kind(c("Gateway"))),
				Namespace: new(gwapiv1.Namespace(c("gateways"))), Name: gwapiv1.ObjectName(c("eg")),
			}}},
			Hostnames: []gwapiv1.Hostname{gwapiv1.Hostname(c(fmt.Sprintf("r%d.example.com", i)))},
			Rules:     []gwapiv1.HTTPRouteRule{rule("/api"), rule("/healthz")},
		},
	}
}

// BenchmarkObject is the cost of interning one route among many.
func BenchmarkObject(b *testing.B) {
	routes := make([]*gwapiv1.HTTPRoute, 1000)
	for i := range routes {
		routes[i] = benchRoute(i)
	}
	var tab Table
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tab.Object(routes[i%len(routes)])
		i++
	}
}
