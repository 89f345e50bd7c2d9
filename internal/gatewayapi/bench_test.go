package gatewayapi

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/benchheap"
	"github.com/envoygw/envoy-gateway/internal/bus"
	xdstranslator "github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// benchServices is how many routes share one backend Service.
const routesPerService = 10

// benchResources builds a realistic snapshot with n HTTPRoutes: one Gateway
// with two HTTP listeners, each route with its own hostname, two rules (a
// prefix match with a header and a weighted split, an exact match with a
// header filter) and backends spread over n/10 Services with endpoints.
func benchResources(n int) *Resources {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	all := gwapiv1.NamespacesFromAll
	res := &Resources{
		GatewayClasses: []*gwapiv1.GatewayClass{{
			ObjectMeta: metav1.ObjectMeta{Name: "eg", Generation: 1},
			Spec:       gwapiv1.GatewayClassSpec{ControllerName: egv1a1.DefaultControllerName},
		}},
		Gateways: []*gwapiv1.Gateway{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "eg", Generation: 1},
			Spec: gwapiv1.GatewaySpec{GatewayClassName: "eg", Listeners: []gwapiv1.Listener{
				{Name: "http", Port: 80, Protocol: gwapiv1.HTTPProtocolType, AllowedRoutes: &gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: &all}}},
				{Name: "alt", Port: 8080, Protocol: gwapiv1.HTTPProtocolType, AllowedRoutes: &gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: &all}}},
			}},
		}},
		InfraStates: map[string]bus.InfraState{"infra/eg": {Ready: true, Addresses: []bus.Address{{Type: "IPAddress", Value: "192.0.2.1"}}}},
	}
	services := max(n/routesPerService, 1)
	for s := range services {
		res.Services = append(res.Services, benchService(s))
		res.EndpointSlices = append(res.EndpointSlices, benchSlice(s))
	}
	for i := range n {
		res.HTTPRoutes = append(res.HTTPRoutes, benchRoute(i, services, t0))
	}
	return res
}

func benchService(s int) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns-%d", s%10), Name: fmt.Sprintf("svc-%d", s)},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}},
	}
}

func benchSlice(s int) *discoveryv1.EndpointSlice {
	name, port, ready := "http", int32(3000), true
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: fmt.Sprintf("ns-%d", s%10), Name: fmt.Sprintf("svc-%d-abc", s),
			Labels: map[string]string{discoveryv1.LabelServiceName: fmt.Sprintf("svc-%d", s)},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
	}
	for e := range 3 {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.%d.%d.%d", s/250, s%250, e+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		})
	}
	return es
}

func benchRoute(i, services int, t0 time.Time) *gwapiv1.HTTPRoute {
	ns := fmt.Sprintf("ns-%d", (i/routesPerService)%10)
	svc := func(k int) gwapiv1.HTTPBackendRef {
		port, w := gwapiv1.PortNumber(8080), int32(k+1)
		return gwapiv1.HTTPBackendRef{BackendRef: gwapiv1.BackendRef{
			BackendObjectReference: gwapiv1.BackendObjectReference{Name: gwapiv1.ObjectName(fmt.Sprintf("svc-%d", (i/routesPerService+k*10)%services)), Port: &port},
			Weight:                 &w,
		}}
	}
	prefix, exact := gwapiv1.PathMatchPathPrefix, gwapiv1.PathMatchExact
	return &gwapiv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("route-%d", i), Generation: 1, CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(i) * time.Second))},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{Name: "eg", Namespace: new(gwapiv1.Namespace("infra"))}}},
			Hostnames:       []gwapiv1.Hostname{gwapiv1.Hostname(fmt.Sprintf("app-%d.example.com", i))},
			Rules: []gwapiv1.HTTPRouteRule{
				{
					Matches: []gwapiv1.HTTPRouteMatch{{
						Path:    &gwapiv1.HTTPPathMatch{Type: &prefix, Value: new(fmt.Sprintf("/api/v%d", i%3))},
						Headers: []gwapiv1.HTTPHeaderMatch{{Name: "x-tenant", Value: fmt.Sprintf("t%d", i)}},
					}},
					BackendRefs: []gwapiv1.HTTPBackendRef{svc(0), svc(1)},
				},
				{
					Matches: []gwapiv1.HTTPRouteMatch{{Path: &gwapiv1.HTTPPathMatch{Type: &exact, Value: new("/healthz")}}},
					Filters: []gwapiv1.HTTPRouteFilter{{
						Type:                  gwapiv1.HTTPRouteFilterRequestHeaderModifier,
						RequestHeaderModifier: &gwapiv1.HTTPHeaderFilter{Set: []gwapiv1.HTTPHeader{{Name: "x-probe", Value: "1"}}},
					}},
					BackendRefs: []gwapiv1.HTTPBackendRef{svc(0)},
				},
			},
		},
	}
}

// TestBenchResources checks that the benchmark scenario is what it claims:
// every route accepted with resolved references, two IR routes per route on
// each of the two listeners, and valid IR.
func TestBenchResources(t *testing.T) {
	const n = 100
	r := Translate(benchResources(n), Options{})
	validateResult(t, r)
	if len(r.Fleets) != 1 {
		t.Fatalf("got %d fleets, want 1", len(r.Fleets))
	}
	xds := r.Fleets[0].Xds
	if len(xds.HTTP) != 2 || len(xds.HTTP[0].Routes) != 2*n || len(xds.HTTP[1].Routes) != 2*n {
		t.Errorf("want 2 listeners with %d routes each, got %d listeners", 2*n, len(xds.HTTP))
	}
	if len(xds.Clusters) != n/routesPerService {
		t.Errorf("got %d clusters, want %d", len(xds.Clusters), n/routesPerService)
	}
	if r.Statuses.HTTPRoutes.Len() != n {
		t.Fatalf("got %d route statuses, want %d", r.Statuses.HTTPRoutes.Len(), n)
	}
	for _, rs := range r.Statuses.HTTPRoutes.All() {
		if len(rs.Parents) != 1 || len(rs.Parents[0].Conditions) != 2 ||
			rs.Parents[0].Conditions[0].Status != metav1.ConditionTrue || rs.Parents[0].Conditions[1].Status != metav1.ConditionTrue {
			t.Fatalf("route %s/%s: want accepted with resolved refs, got %+v", rs.Namespace, rs.Name, rs.Parents)
		}
	}
}

// BenchmarkTranslate measures a full translation at 100, 1,000 and 10,000
// HTTPRoutes, without and with the data-plane checks the control plane runs.
func BenchmarkTranslate(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		res := benchResources(n)
		for _, checks := range []bool{false, true} {
			opts := Options{}
			if checks {
				opts.DataPlane = xdstranslator.Checks{}
			}
			b.Run(fmt.Sprintf("routes=%d/checks=%v", n, checks), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					Translate(res, opts)
				}
			})
		}
	}
}

// BenchmarkTranslateRouteChange measures what one HTTPRoute changing costs
// in a world of 10,000 with a Translator (and the data-plane checks): each
// iteration replaces one route by a changed copy (a new object, as
// providers give) and translates the snapshot.
func BenchmarkTranslateRouteChange(b *testing.B) {
	translateReplacing(b, benchResources(10000), func(i int, r *gwapiv1.HTTPRoute) *gwapiv1.HTTPRoute {
		c := r.DeepCopy()
		c.Generation++
		c.Spec.Rules[0].Matches[0].Headers[0].Value = fmt.Sprintf("v%d", i)
		return c
	})
}

// BenchmarkTranslateStatusWrite measures what one HTTPRoute's status write
// costs in a world of 10,000 with a Translator: each iteration replaces
// one route by a new object of the same generation (as the API server
// gives it after a status write) and translates the snapshot; with
// GenerationTracksSpec (tracks=true, the Kubernetes provider) the
// Translator takes the route's memo over, without it builds the route
// again.
func BenchmarkTranslateStatusWrite(b *testing.B) {
	for _, tracks := range []bool{true, false} {
		b.Run(fmt.Sprintf("tracks=%v", tracks), func(b *testing.B) {
			res := benchResources(10000)
			asFromAPIServer(res)
			res.GenerationTracksSpec = tracks
			translateReplacing(b, res, func(_ int, r *gwapiv1.HTTPRoute) *gwapiv1.HTTPRoute { return statusWritten(r) })
		})
	}
}

// translateReplacing translates res with a Translator (and the data-plane
// checks), then, each iteration i, replaces one of its routes r by
// replace(i, r) and translates the snapshot.
func translateReplacing(b *testing.B, res *Resources, replace func(i int, r *gwapiv1.HTTPRoute) *gwapiv1.HTTPRoute) {
	n := len(res.HTTPRoutes)
	tr := NewTranslator(Options{DataPlane: xdstranslator.Checks{}})
	tr.Translate(res)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		k := (i * 7919) % n
		next := *res
		next.HTTPRoutes = slices.Clone(res.HTTPRoutes)
		next.HTTPRoutes[k] = replace(i, res.HTTPRoutes[k])
		res = &next
		if out := tr.Translate(res); len(out.Fleets) != 1 {
			b.Fatalf("%d fleets", len(out.Fleets))
		}
	}
}

// BenchmarkTranslatorHeap reports the heap a Translator and its result
// hold after translating 10,000 HTTPRoutes (the objects not counted):
// its memo of every route, the IR and the statuses. held-MB is their
// objects, resident-MB the heap memory the runtime keeps for them once
// every free page is returned (their objects and the room left unused in
// the pages they share with the translation's garbage).
func BenchmarkTranslatorHeap(b *testing.B) {
	res := benchResources(10000)
	var held benchheap.Memory
	for b.Loop() {
		before := benchheap.Settled()
		tr := NewTranslator(Options{DataPlane: xdstranslator.Checks{}})
		out := tr.Translate(res)
		held = benchheap.Settled().Since(before)
		runtime.KeepAlive(tr)
		runtime.KeepAlive(out)
	}
	held.Report(b)
}
