package runner

import (
	"context"
	"fmt"
	"slices"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/credentials/insecure"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

// edsXds is xdsWithPort(10080) with a route to an EDS cluster per Service of
// namespace ns, each taking its endpoints from the Service's port "http".
func edsXds(services ...string) *ir.Xds {
	x := xdsWithPort(10080)
	for _, svc := range services {
		name := "service/ns/" + svc + "/80"
		x.Clusters = append(x.Clusters, &ir.Cluster{Name: name, Discovery: ir.DiscoveryEDS, EndpointSource: &ir.EndpointSource{
			Namespace: "ns", Name: svc, Port: 80, PortName: "http", Protocol: ir.ProtocolTCP,
		}})
		x.HTTP[0].Routes = append(x.HTTP[0].Routes, &ir.HTTPRoute{
			Name: "httproute/ns/" + svc + "/rule/0/match/0", Hostname: svc + ".example.com",
			Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: name, Weight: 1}}},
		})
	}
	return x
}

// endpointsOf is an endpoints snapshot covering the given Services of
// namespace ns, each with one EndpointSlice of its addresses on port 8080.
func endpointsOf(services map[string][]string) *ir.Endpoints {
	return gatewayapi.TranslateEndpoints(endpointsSnapshotOf(services))
}

// endpointsSnapshotOf is the provider's snapshot endpointsOf translates.
func endpointsSnapshotOf(services map[string][]string) *gatewayapi.Endpoints {
	var keys []gatewayapi.ObjectKey
	var list []*discoveryv1.EndpointSlice
	for svc, addrs := range services {
		keys = append(keys, gatewayapi.ObjectKey{Namespace: "ns", Name: svc})
		if len(addrs) == 0 {
			continue
		}
		name, port := "http", int32(8080)
		es := &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Namespace: "ns", Name: svc + "-1", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
		}
		for _, a := range addrs {
			es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}})
		}
		list = append(list, es)
	}
	return gatewayapi.NewEndpoints(keys, list)
}

// runnerTest drives a runner's handlers directly (no Start), so that the
// order of results and endpoints snapshots is the test's.
type runnerTest struct {
	t         *testing.T
	r         *Runner
	srv       *fakeServer
	reg       *prometheus.Registry
	results   *message.Watchable[*bus.FleetSet]
	endpoints *message.Watchable[*ir.Endpoints]
}

func newRunnerTest(t *testing.T) *runnerTest {
	t.Helper()
	rt := &runnerTest{
		t: t, srv: newFakeServer(), reg: prometheus.NewRegistry(),
		results:   message.NewWatchable[*bus.FleetSet]("test-results"),
		endpoints: message.NewWatchable[*ir.Endpoints]("test-endpoints"),
	}
	r, err := New(Options{Fleets: rt.results, Endpoints: rt.endpoints, Server: rt.srv, Registerer: rt.reg, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	rt.r = r
	return rt
}

// result publishes a result and lets the runner handle it.
func (rt *runnerTest) result(res *bus.FleetSet) {
	rt.results.Publish(res)
	rt.r.handle(res)
}

// publishEndpoints publishes an endpoints snapshot and lets the runner handle it.
func (rt *runnerTest) publishEndpoints(eps *ir.Endpoints) {
	rt.endpoints.Publish(eps)
	rt.r.handleEndpoints()
}

// expect checks the calls made to the server since the last check.
func (rt *runnerTest) expect(want ...call) {
	rt.t.Helper()
	var got []call
	for len(rt.srv.calls) > 0 {
		got = append(got, <-rt.srv.calls)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		rt.t.Fatalf("server calls:\n got %v\nwant %v", got, want)
	}
}

// histogramCount is the number of observations of a histogram of rt.reg.
func (rt *runnerTest) histogramCount(name string) uint64 {
	rt.t.Helper()
	return histogramSampleCount(rt.t, rt.reg, name)
}

const (
	fullTranslations     = "envoy_gateway_xds_translation_duration_seconds"
	endpointTranslations = "envoy_gateway_xds_endpoint_translation_duration_seconds"
)

func TestEndpointsOnlyUpdateTranslatesNoRoute(t *testing.T) {
	rt := newRunnerTest(t)
	listeners := []string{"listener/0.0.0.0/10080"}
	rt.endpoints.Publish(endpointsOf(map[string][]string{"web": {"10.0.0.1"}}))
	a := fleet("a", edsXds("web"))
	rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{a}})
	rt.expect(call{op: "update", fleet: "a", listeners: listeners, endpoints: []string{"service/ns/web/80=10.0.0.1:8080"}})

	// New endpoints: only the assignments are computed and replaced.
	rt.publishEndpoints(endpointsOf(map[string][]string{"web": {"10.0.0.2", "10.0.0.1"}}))
	rt.expect(call{op: "endpoints", fleet: "a", endpoints: []string{"service/ns/web/80=10.0.0.1:8080,10.0.0.2:8080"}})
	if got := rt.histogramCount(fullTranslations); got != 1 {
		t.Errorf("full translations = %d, want 1 (the endpoints update translated routes)", got)
	}
	if got := rt.histogramCount(endpointTranslations); got != 1 {
		t.Errorf("endpoint translations = %d, want 1", got)
	}

	// Nothing new: nothing to do. The same result again: nothing either.
	rt.r.handleEndpoints()
	rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{a}})
	rt.expect()

	// A result handled before the endpoints snapshot that preceded it: the
	// unchanged fleet gets the new endpoints, still without a translation.
	rt.endpoints.Publish(endpointsOf(map[string][]string{"web": {"10.0.0.3"}}))
	rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{a}})
	rt.expect(call{op: "endpoints", fleet: "a", endpoints: []string{"service/ns/web/80=10.0.0.3:8080"}})
	rt.r.handleEndpoints()
	rt.expect()
	if got := rt.histogramCount(fullTranslations); got != 1 {
		t.Errorf("full translations = %d, want 1", got)
	}

	// A new IR is translated in full, with the latest endpoints.
	rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", edsXds("web"))}})
	rt.expect(call{op: "update", fleet: "a", listeners: listeners, endpoints: []string{"service/ns/web/80=10.0.0.3:8080"}})
}

func TestEndpointsOfFrozenFleetsKeepFlowing(t *testing.T) {
	rt := newRunnerTest(t)
	a := fleet("a", edsXds("web"))
	a.Infra = &ir.Infra{Proxy: &ir.ProxyInfra{Name: "a", GatewayClass: "eg"}}
	rt.publishEndpoints(endpointsOf(map[string][]string{"web": {"10.0.0.1"}}))
	rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{a}})
	rt.expect(call{op: "update", fleet: "a", listeners: []string{"listener/0.0.0.0/10080"}, endpoints: []string{"service/ns/web/80=10.0.0.1:8080"}})

	// Class eg is frozen: the fleet keeps its listeners, routes and clusters,
	// while its endpoints keep following the backends.
	rt.result(&bus.FleetSet{FrozenGatewayClasses: []string{"eg"}})
	rt.expect()
	rt.publishEndpoints(endpointsOf(map[string][]string{"web": {"10.0.0.2"}}))
	rt.expect(call{op: "endpoints", fleet: "a", endpoints: []string{"service/ns/web/80=10.0.0.2:8080"}})

	// An endpoints snapshot published before the frozen result is handled
	// reaches the frozen fleet with that result.
	rt.endpoints.Publish(endpointsOf(map[string][]string{"web": {"10.0.0.3"}}))
	rt.result(&bus.FleetSet{FrozenGatewayClasses: []string{"eg"}})
	rt.expect(call{op: "endpoints", fleet: "a", endpoints: []string{"service/ns/web/80=10.0.0.3:8080"}})

	// Accepted again with the same IR: nothing to catch up.
	rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{a}})
	rt.expect()
}

// TestEndpointsOfServicesStillServedAreKept runs with snapshots translated
// one by one, and with snapshots of an EndpointsTranslator, which say what
// changed since the previous one (the view then looks at those Services
// only).
func TestEndpointsOfServicesStillServedAreKept(t *testing.T) {
	for _, withDelta := range []bool{false, true} {
		t.Run(fmt.Sprintf("delta=%v", withDelta), func(t *testing.T) {
			tr := gatewayapi.NewEndpointsTranslator()
			snapshot := func(services map[string][]string) *ir.Endpoints {
				if withDelta {
					return tr.Translate(endpointsSnapshotOf(services))
				}
				return endpointsOf(services)
			}
			rt := newRunnerTest(t)
			listeners := []string{"listener/0.0.0.0/10080"}
			rt.publishEndpoints(snapshot(map[string][]string{"web": {"10.0.0.1"}, "api": {"10.0.1.1"}}))
			rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", edsXds("web"))}})
			rt.expect(call{op: "update", fleet: "a", listeners: listeners, endpoints: []string{"service/ns/web/80=10.0.0.1:8080"}})

			// The route moves from web to api: the provider stops covering
			// web before the new result is applied. The served cluster
			// keeps web's endpoints meanwhile.
			rt.publishEndpoints(snapshot(map[string][]string{"api": {"10.0.1.1"}}))
			rt.expect(call{op: "endpoints", fleet: "a", endpoints: []string{"service/ns/web/80=10.0.0.1:8080"}})
			rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", edsXds("api"))}})
			rt.expect(call{op: "update", fleet: "a", listeners: listeners, endpoints: []string{"service/ns/api/80=10.0.1.1:8080"}})

			// Once no cluster uses web, its last endpoints are forgotten.
			rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", edsXds("api", "web"))}})
			rt.expect(call{op: "update", fleet: "a", listeners: listeners, endpoints: []string{"service/ns/api/80=10.0.1.1:8080", "service/ns/web/80="}})

			// A Service covered without endpoints has none, served or not.
			rt.publishEndpoints(snapshot(map[string][]string{"api": nil, "web": {"10.0.0.5"}}))
			rt.expect(call{op: "endpoints", fleet: "a", endpoints: []string{"service/ns/api/80=", "service/ns/web/80=10.0.0.5:8080"}})

			// api moves: only its assignment changes.
			rt.publishEndpoints(snapshot(map[string][]string{"api": {"10.0.1.2"}, "web": {"10.0.0.5"}}))
			rt.expect(call{op: "endpoints", fleet: "a", endpoints: []string{"service/ns/api/80=10.0.1.2:8080", "service/ns/web/80=10.0.0.5:8080"}})

			// web stops being covered while still served: kept.
			rt.publishEndpoints(snapshot(map[string][]string{"api": {"10.0.1.3"}}))
			rt.expect(call{op: "endpoints", fleet: "a", endpoints: []string{"service/ns/api/80=10.0.1.3:8080", "service/ns/web/80=10.0.0.5:8080"}})
		})
	}
}

func TestEndpointsUpdateFailureIsRetried(t *testing.T) {
	rt := newRunnerTest(t)
	rt.publishEndpoints(endpointsOf(map[string][]string{"web": {"10.0.0.1"}}))
	rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", edsXds("web"))}})
	rt.expect(call{op: "update", fleet: "a", listeners: []string{"listener/0.0.0.0/10080"}, endpoints: []string{"service/ns/web/80=10.0.0.1:8080"}})

	rt.srv.fail["a"] = true
	rt.publishEndpoints(endpointsOf(map[string][]string{"web": {"10.0.0.2"}}))
	rt.expect(call{op: "endpoints", fleet: "a", endpoints: []string{"service/ns/web/80=10.0.0.2:8080"}})
	if got := errorsCount(t, rt.reg, "a"); got != 1 {
		t.Errorf("errors of a = %v, want 1", got)
	}
	rt.srv.fail["a"] = false
	rt.result(&bus.FleetSet{Fleets: []*bus.Fleet{rt.r.currentFleet("a")}})
	rt.expect(call{op: "endpoints", fleet: "a", endpoints: []string{"service/ns/web/80=10.0.0.2:8080"}})
}

// currentFleet is fleet name with the IR the runner applied, for tests.
func (r *Runner) currentFleet(name string) *bus.Fleet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fleet(name, r.applied[name])
}

// TestEndpointsUpdateWithServer runs the runner with a real xDS server and a
// client: an endpoints snapshot changes the served assignments and the EDS
// version only, and translates no route.
func TestEndpointsUpdateWithServer(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv, err := server.New(server.Options{Address: "127.0.0.1", Plaintext: true, Registerer: reg, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("server Start returned %v", err)
		}
	})
	results := message.NewWatchable[*bus.FleetSet]("test-results")
	endpoints := message.NewWatchable[*ir.Endpoints]("test-endpoints")
	r, err := New(Options{Fleets: results, Endpoints: endpoints, Server: srv, Registerer: reg, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Start(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("runner Start returned %v", err)
		}
	})

	endpoints.Publish(endpointsOf(map[string][]string{"web": {"10.0.0.1"}}))
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", edsXds("web"))}})
	envoy, err := xdstest.Dial(srv.Addr().String(), "a", insecure.NewCredentials())
	if err != nil {
		t.Fatal(err)
	}
	defer envoy.Close()
	addresses := func() []string {
		cla, _ := envoy.Resources(resourcev3.EndpointType)["service/ns/web/80"].(*endpointv3.ClusterLoadAssignment)
		return assignments([]*endpointv3.ClusterLoadAssignment{cla})
	}
	waitFor(t, func() bool {
		return slices.Equal(addresses(), []string{"service/ns/web/80=10.0.0.1:8080"}) &&
			envoy.Version(resourcev3.ListenerType) != "" && envoy.Version(resourcev3.RouteType) != ""
	})
	before := map[string]string{}
	for _, typ := range xdstest.Types {
		before[typ] = envoy.Version(typ)
	}

	endpoints.Publish(endpointsOf(map[string][]string{"web": {"10.0.0.1", "10.0.0.2"}}))
	waitFor(t, func() bool {
		return slices.Equal(addresses(), []string{"service/ns/web/80=10.0.0.1:8080,10.0.0.2:8080"})
	})
	for _, typ := range xdstest.Types {
		if changed := envoy.Version(typ) != before[typ]; changed != (typ == resourcev3.EndpointType) {
			t.Errorf("%s: version changed = %v", typ, changed)
		}
	}
	r.mu.Lock() // the histograms are observed under the runner's lock
	full, eds := histogramSampleCount(t, reg, fullTranslations), histogramSampleCount(t, reg, endpointTranslations)
	r.mu.Unlock()
	if full != 1 || eds != 1 {
		t.Errorf("full translations %d, endpoint translations %d; want 1 and 1", full, eds)
	}
}

func histogramSampleCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}
