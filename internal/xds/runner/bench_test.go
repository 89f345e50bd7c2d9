package runner

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// benchRoutesPerService is how many routes share one backend Service in
// the resource translator's benchmark.
const benchRoutesPerService = 10

// benchRoutes is the number of HTTPRoutes of the benchmarks' world.
const benchRoutes = 10000

// benchResources is the shape of the resource translator's benchmark: one
// Gateway with two HTTP listeners and benchRoutes HTTPRoutes (n: two rules
// each, own hostname) over n/perService Services, each with an EndpointSlice of
// three ready endpoints. moved adds a fourth endpoint to the first
// Service: the endpoint churn the benchmark applies.
func benchResources(perService int, moved bool) *gatewayapi.Resources {
	n := benchRoutes
	all := gwapiv1.NamespacesFromAll
	res := &gatewayapi.Resources{
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
	services := max(n/perService, 1)
	for s := range services {
		ns := fmt.Sprintf("ns-%d", s%10)
		res.Services = append(res.Services, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("svc-%d", s)},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}},
		})
		res.EndpointSlices = append(res.EndpointSlices, benchSlice(s, moved && s == 0))
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		res.HTTPRoutes = append(res.HTTPRoutes, benchRoute(i, perService, services, t0))
	}
	return res
}

func benchSlice(s int, extra bool) *discoveryv1.EndpointSlice {
	name, port, ready := "http", int32(3000), true
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: fmt.Sprintf("ns-%d", s%10), Name: fmt.Sprintf("svc-%d-abc", s),
			Labels: map[string]string{discoveryv1.LabelServiceName: fmt.Sprintf("svc-%d", s)},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
	}
	n := 3
	if extra {
		n++
	}
	for e := range n {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.%d.%d.%d", s/250, s%250, e+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		})
	}
	return es
}

func benchRoute(i, perService, services int, t0 time.Time) *gwapiv1.HTTPRoute {
	ns := fmt.Sprintf("ns-%d", (i/perService)%10)
	svc := func(k int) gwapiv1.HTTPBackendRef {
		port, w := gwapiv1.PortNumber(8080), int32(k+1)
		return gwapiv1.HTTPBackendRef{BackendRef: gwapiv1.BackendRef{
			BackendObjectReference: gwapiv1.BackendObjectReference{
				Name: gwapiv1.ObjectName(fmt.Sprintf("svc-%d", (i/perService+k*10)%services)), Port: &port,
			},
			Weight: &w,
		}}
	}
	prefix, exact := gwapiv1.PathMatchPathPrefix, gwapiv1.PathMatchExact
	return &gwapiv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: fmt.Sprintf("route-%d", i), Generation: 1,
			CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(i) * time.Second)),
		},
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

// endpointsSnapshot is the endpoints snapshot a provider builds for res:
// every Service's EndpointSlices (it publishes their IR form).
func endpointsSnapshot(res *gatewayapi.Resources) *gatewayapi.Endpoints {
	keys := make([]gatewayapi.ObjectKey, 0, len(res.Services))
	for _, s := range res.Services {
		keys = append(keys, gatewayapi.ObjectKey{Namespace: s.Namespace, Name: s.Name})
	}
	return gatewayapi.NewEndpoints(keys, res.EndpointSlices)
}

// benchRunner is a runner over a real xDS server (not serving: Update and
// UpdateEndpoints set the snapshot caches, which is what a push costs short
// of the network) that has applied the translation of res.
func benchRunner(b testing.TB, res *gatewayapi.Resources) (*Runner, *message.Watchable[*ir.Endpoints], *prometheus.Registry) {
	b.Helper()
	reg := prometheus.NewRegistry()
	srv, err := server.New(server.Options{Address: "127.0.0.1", Plaintext: true, Registerer: reg, Logger: logr.Discard()})
	if err != nil {
		b.Fatal(err)
	}
	results := message.NewWatchable[*bus.FleetSet]("bench-results")
	endpoints := message.NewWatchable[*ir.Endpoints]("bench-endpoints")
	r, err := New(Options{Fleets: results, Endpoints: endpoints, Server: srv, Logger: logr.Discard()})
	if err != nil {
		b.Fatal(err)
	}
	endpoints.Publish(gatewayapi.TranslateEndpoints(endpointsSnapshot(res)))
	result := gatewayapi.Translate(res, gatewayapi.Options{}).FleetSet()
	results.Publish(result)
	r.handle(result)
	if len(r.applied) != 1 {
		b.Fatalf("%d fleets applied, want 1", len(r.applied))
	}
	return r, endpoints, reg
}

// BenchmarkEndpointsUpdate measures one endpoint change at 10,000 routes
// (1,000 Services), from the provider's publication to the xDS server's
// new snapshot, both ways the control plane can take it:
//
//   - endpoints: the endpoints snapshot alone (what an EndpointSlice change
//     does): the providers' EndpointsTranslator, the fleet's
//     ClusterLoadAssignments and Server.UpdateEndpoints;
//   - resources: a Resources snapshot (what an EndpointSlice change did
//     before, and what any other change does): the resource translation,
//     the fleet's full xDS translation and Server.Update.
func BenchmarkEndpointsUpdate(b *testing.B) {
	const routes = benchRoutes
	variants := [2]*gatewayapi.Resources{benchResources(benchRoutesPerService, false), benchResources(benchRoutesPerService, true)}
	b.Run(fmt.Sprintf("path=endpoints/routes=%d", routes), func(b *testing.B) {
		r, endpoints, reg := benchRunner(b, variants[0])
		// The providers' snapshots share the objects of unchanged slices,
		// and the providers translate them with an EndpointsTranslator.
		moved := *variants[0]
		moved.EndpointSlices = slices.Clone(variants[0].EndpointSlices)
		moved.EndpointSlices[0] = variants[1].EndpointSlices[0]
		snaps := [2]*gatewayapi.Endpoints{endpointsSnapshot(variants[0]), endpointsSnapshot(&moved)}
		tr := gatewayapi.NewEndpointsTranslator()
		tr.Translate(snaps[0])
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			endpoints.Publish(tr.Translate(snaps[i%2]))
			r.handleEndpoints()
		}
		if got := testutil.ToFloat64(counterOf(b, reg, "envoy_gateway_xds_endpoint_updates_total")); got != float64(i) {
			b.Fatalf("%v endpoints-only snapshot updates, want %d", got, i)
		}
	})
	// The first endpoint change after a route change (the xDS translator
	// kept its index of the clusters before the route change, see
	// Cache.TranslateEndpoints): each iteration changes a route (not
	// timed), then one EndpointSlice (timed).
	b.Run(fmt.Sprintf("path=endpoints-after-route-change/routes=%d", routes), func(b *testing.B) {
		res := benchResources(1, false)
		orig, alt := res, benchResources(1, true)
		r, endpoints, _ := benchRunner(b, res)
		tr := gatewayapi.NewTranslator(gatewayapi.Options{DataPlane: translator.Checks{}})
		etr := gatewayapi.NewEndpointsTranslator()
		endpoints.Publish(etr.Translate(endpointsSnapshot(res)))
		r.handle(tr.Translate(res).FleetSet())
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			b.StopTimer()
			i++
			next := withRouteChanged(res, i)
			next.EndpointSlices = slices.Clone(res.EndpointSlices)
			s := i % len(res.EndpointSlices)
			if next.EndpointSlices[s] == alt.EndpointSlices[s] {
				next.EndpointSlices[s] = orig.EndpointSlices[s]
			} else {
				next.EndpointSlices[s] = alt.EndpointSlices[s]
			}
			res = next
			r.handle(tr.Translate(res).FleetSet())
			endpoints.Publish(etr.Translate(endpointsSnapshot(res)))
			b.StartTimer()
			r.handleEndpoints()
		}
	})
	b.Run(fmt.Sprintf("path=resources/routes=%d", routes), func(b *testing.B) {
		r, endpoints, reg := benchRunner(b, variants[0])
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			res := variants[i%2]
			endpoints.Publish(gatewayapi.TranslateEndpoints(endpointsSnapshot(res)))
			r.handle(gatewayapi.Translate(res, gatewayapi.Options{}).FleetSet())
		}
		if got := testutil.ToFloat64(counterOf(b, reg, "envoy_gateway_xds_snapshot_updates_total")); got != float64(i+1) {
			b.Fatalf("%v snapshot updates, want %d", got, i+1)
		}
	})
}

// BenchmarkRouteChange measures one HTTPRoute change at 10,000 routes,
// from the Resources snapshot to the xDS server's new snapshot, the way the
// control plane takes it: the memoizing resource translator
// (gatewayapi.Translator, with the data-plane checks), the runner's
// translation cache and Server.Update. With 10 routes per Service, the
// changed route's Services are also other routes' backends; with 1, as in
// make bench-e2e's workload, the changed route alone makes the clusters of
// some of its Services, which are then new IR clusters.
// withRouteChanged returns res with the i-th changed route's header match
// changed (a new object, its generation bumped); the other objects are
// res's.
func withRouteChanged(res *gatewayapi.Resources, i int) *gatewayapi.Resources {
	k := (i * 7919) % len(res.HTTPRoutes)
	next := *res
	next.HTTPRoutes = slices.Clone(res.HTTPRoutes)
	changed := res.HTTPRoutes[k].DeepCopy()
	changed.Generation++
	changed.Spec.Rules[0].Matches[0].Headers[0].Value = fmt.Sprintf("v%d", i)
	next.HTTPRoutes[k] = changed
	return &next
}

func BenchmarkRouteChange(b *testing.B) {
	for _, perService := range []int{benchRoutesPerService, 1} {
		b.Run(fmt.Sprintf("routes-per-service=%d", perService), func(b *testing.B) {
			benchmarkRouteChange(b, perService)
		})
	}
}

func benchmarkRouteChange(b *testing.B, perService int) {
	res := benchResources(perService, false)
	r, _, reg := benchRunner(b, res)
	tr := gatewayapi.NewTranslator(gatewayapi.Options{DataPlane: translator.Checks{}})
	r.handle(tr.Translate(res).FleetSet())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		res = withRouteChanged(res, i)
		r.handle(tr.Translate(res).FleetSet())
	}
	if got := testutil.ToFloat64(counterOf(b, reg, "envoy_gateway_xds_snapshot_updates_total")); got < float64(i) {
		b.Fatalf("%v snapshot updates for %d changes", got, i)
	}
}
