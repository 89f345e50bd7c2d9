package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rlsconfv3 "github.com/envoyproxy/go-control-plane/ratelimit/config/ratelimit/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
	cprunner "github.com/envoygw/envoy-gateway/internal/runner"
	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// The xDS runner and server plug into the control plane's runner group.
var (
	_ cprunner.Runner = (*Runner)(nil)
	_ cprunner.Runner = (*server.Server)(nil)
	_ Server          = (*server.Server)(nil)
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// call is one call the runner made to the server.
type call struct {
	op        string // "update", "endpoints" or "remove"
	fleet     string
	listeners []string
	// endpoints are "<cluster>=<address>:<port>,..." per assignment, for
	// updates and endpoints updates.
	endpoints []string
	// leftOut counts the elements an update left out.
	leftOut int
	// routes are the routes of an update (routeNames).
	routes []string
}

// fakeServer records calls; updates of fleets in fail return an error.
type fakeServer struct {
	mu    sync.Mutex
	fail  map[string]bool
	calls chan call
	// recordRoutes makes updates record their routes; set before use.
	recordRoutes bool
	// rateLimits are the rate limit configurations set, in order (not
	// calls: every result sets one).
	rateLimits [][]*rlsconfv3.RateLimitConfig
}

func newFakeServer() *fakeServer {
	return &fakeServer{fail: map[string]bool{}, calls: make(chan call, 100)}
}

func (f *fakeServer) Update(fleet string, res *translator.Resources) (bool, error) {
	f.mu.Lock()
	fail := f.fail[fleet]
	f.mu.Unlock()
	names := make([]string, 0, len(res.Listeners))
	for _, l := range res.Listeners {
		names = append(names, l.GetName())
	}
	c := call{op: "update", fleet: fleet, listeners: names, endpoints: assignments(res.Endpoints), leftOut: len(res.LeftOut)}
	if f.recordRoutes {
		c.routes = routeNames(res)
	}
	f.calls <- c
	if fail {
		return false, errors.New("refused")
	}
	return true, nil
}

func (f *fakeServer) UpdateEndpoints(fleet string, endpoints []*endpointv3.ClusterLoadAssignment) (bool, error) {
	f.mu.Lock()
	fail := f.fail[fleet]
	f.mu.Unlock()
	f.calls <- call{op: "endpoints", fleet: fleet, endpoints: assignments(endpoints)}
	if fail {
		return false, errors.New("refused")
	}
	return true, nil
}

// assignments summarizes ClusterLoadAssignments as "<cluster>=<address>:<port>,...",
// as their bytes say: the translator's cache hands them over compact, their
// fields encoded.
func assignments(cla []*endpointv3.ClusterLoadAssignment) []string {
	out := make([]string, 0, len(cla))
	for _, compact := range cla {
		a := &endpointv3.ClusterLoadAssignment{}
		if b, err := proto.Marshal(compact); err != nil || proto.Unmarshal(b, a) != nil {
			panic(fmt.Sprintf("assignment %s does not decode", compact.GetClusterName()))
		}
		var addrs []string
		for _, l := range a.GetEndpoints() {
			for _, e := range l.GetLbEndpoints() {
				sa := e.GetEndpoint().GetAddress().GetSocketAddress()
				addrs = append(addrs, fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue()))
			}
		}
		out = append(out, a.GetClusterName()+"="+strings.Join(addrs, ","))
	}
	return out
}

func (f *fakeServer) UpdateRateLimit(configs []*rlsconfv3.RateLimitConfig) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rateLimits = append(f.rateLimits, configs)
	return true, nil
}

// lastRateLimit returns the last rate limit configuration set and how many were.
func (f *fakeServer) lastRateLimit() ([]*rlsconfv3.RateLimitConfig, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.rateLimits) == 0 {
		return nil, 0
	}
	return f.rateLimits[len(f.rateLimits)-1], len(f.rateLimits)
}

func (f *fakeServer) Remove(fleet string) error {
	f.calls <- call{op: "remove", fleet: fleet}
	return nil
}

// waitBound bounds every wait; no result depends on it.
const waitBound = 30 * time.Second

// next returns the next call, failing after waitBound. The runner handles
// what is published in order, so a call expected after a publication that
// must cause none also proves that it caused none.
func (f *fakeServer) next(t *testing.T) call {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(waitBound):
		t.Fatalf("no call to the server within %s", waitBound)
	}
	return call{}
}

func xdsWithPort(port uint32) *ir.Xds {
	return &ir.Xds{HTTP: []*ir.HTTPListener{{Name: "ns/eg/http", Address: "0.0.0.0", Port: port, Hostnames: []string{"*"}}}}
}

func fleet(name string, x *ir.Xds) *bus.Fleet {
	return &bus.Fleet{Name: name, Infra: &ir.Infra{}, Xds: x}
}

// startRunner runs a runner over results until the test ends.
func startRunner(t *testing.T, results *message.Watchable[*bus.FleetSet], srv Server, reg prometheus.Registerer) {
	t.Helper()
	r, err := New(Options{Fleets: results, Server: srv, Registerer: reg, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start returned %v", err)
		}
	})
}

func TestRunnerUpdatesSkipsUnchangedAndRemoves(t *testing.T) {
	results := message.NewWatchable[*bus.FleetSet]("test-results")
	srv := newFakeServer()
	startRunner(t, results, srv, nil)

	a1, b1 := xdsWithPort(10080), xdsWithPort(10081)
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", a1), fleet("b", b1)}})
	got := []call{srv.next(t), srv.next(t)}
	want := []call{
		{op: "update", fleet: "a", listeners: []string{"listener/0.0.0.0/10080"}},
		{op: "update", fleet: "b", listeners: []string{"listener/0.0.0.0/10081"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("calls %v, want %v", got, want)
	}

	// Same IR values for a, a new one for b: only b is translated again.
	b2 := xdsWithPort(10082)
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", a1), fleet("b", b2)}})
	if c := srv.next(t); c.op != "update" || c.fleet != "b" || !slices.Equal(c.listeners, []string{"listener/0.0.0.0/10082"}) {
		t.Fatalf("call %+v, want an update of b on port 10082", c)
	}

	// Fleet a disappears: its removal is the next call (a was not updated).
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("b", b2)}})
	if c := srv.next(t); c.op != "remove" || c.fleet != "a" {
		t.Fatalf("call %+v, want removal of a", c)
	}
	// A new fleet c: its update is the next call (nothing else followed).
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("b", b2), fleet("c", xdsWithPort(10083))}})
	if c := srv.next(t); c.op != "update" || c.fleet != "c" {
		t.Fatalf("call %+v, want an update of c", c)
	}
}

func TestRunnerKeepsFleetsOfFrozenClasses(t *testing.T) {
	results := message.NewWatchable[*bus.FleetSet]("test-results")
	srv := newFakeServer()
	startRunner(t, results, srv, nil)

	a := fleet("a", xdsWithPort(10080))
	a.Infra = &ir.Infra{Proxy: &ir.ProxyInfra{Name: "a", GatewayClass: "eg"}}
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{a}})
	if c := srv.next(t); c.op != "update" || c.fleet != "a" {
		t.Fatalf("call %+v, want an update of a", c)
	}

	// Class eg is not accepted any more: fleet a is absent but keeps its
	// config (the next call is the removal below, nothing before it).
	results.Publish(&bus.FleetSet{FrozenGatewayClasses: []string{"eg"}})

	// Once the class is gone (or valid without that fleet), the fleet goes.
	results.Publish(&bus.FleetSet{})
	if c := srv.next(t); c.op != "remove" || c.fleet != "a" {
		t.Fatalf("call %+v, want removal of a", c)
	}
}

func TestRunnerKeepsPreviousConfigurationOnFailure(t *testing.T) {
	results := message.NewWatchable[*bus.FleetSet]("test-results")
	srv := newFakeServer()
	reg := prometheus.NewRegistry()
	startRunner(t, results, srv, reg)
	good := xdsWithPort(10080)
	// Fleet m, handled after a and b in every set, marks the end of a set.
	m := fleet("m", xdsWithPort(10099))
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", good), fleet("b", xdsWithPort(10081)), m}})
	srv.next(t)
	srv.next(t)
	srv.next(t)

	// A nil IR for b does not reach the server and is counted as an error;
	// the fleet keeps its configuration. a is unchanged: only m is updated.
	m2 := fleet("m", xdsWithPort(10098))
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", good), fleet("b", nil), m2}})
	if c := srv.next(t); c.op != "update" || c.fleet != "m" {
		t.Fatalf("call %+v, want only the update of m", c)
	}
	if got := errorsCount(t, reg, "b"); got != 1 {
		t.Errorf("translation errors of b = %v, want 1", got)
	}

	// A server refusal is counted too, and the same IR is tried again next time.
	srv.mu.Lock()
	srv.fail["a"] = true
	srv.mu.Unlock()
	fixed := xdsWithPort(10085)
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", fixed), fleet("b", nil), m2}})
	srv.next(t)
	srv.mu.Lock()
	srv.fail["a"] = false
	srv.mu.Unlock()
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", fixed), fleet("b", nil), m2}})
	if c := srv.next(t); c.op != "update" || c.fleet != "a" {
		t.Fatalf("call %+v, want a retried update of a", c)
	}
	if got := errorsCount(t, reg, "a"); got != 1 {
		t.Errorf("errors of a = %v, want 1", got)
	}
}

// TestRunnerServesTheRestOfAFleet: an IR element Envoy would refuse (here a
// second listener with the same name) is left out alone and counted; the
// rest of the fleet is served and later changes still apply.
func TestRunnerServesTheRestOfAFleet(t *testing.T) {
	results := message.NewWatchable[*bus.FleetSet]("test-results")
	srv := newFakeServer()
	reg := prometheus.NewRegistry()
	startRunner(t, results, srv, reg)
	bad := &ir.Xds{HTTP: append(xdsWithPort(10080).HTTP, xdsWithPort(10090).HTTP...)}
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", bad)}})
	c := srv.next(t)
	if c.op != "update" || c.fleet != "a" || len(c.listeners) != 1 || c.leftOut != 1 {
		t.Fatalf("call %+v, want an update of a with one listener and one left out", c)
	}
	// The runner counts after the server's Update returns: wait for it.
	waitFor(t, func() bool { return metricValue(t, reg, "envoy_gateway_xds_left_out_elements") == 1 })
	if got := metricValue(t, reg, "envoy_gateway_xds_left_out_total"); got != 1 {
		t.Errorf("left out of a = %v, want 1", got)
	}
	// A later change of the fleet is applied, and the gauge follows it.
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", xdsWithPort(10085))}})
	if c := srv.next(t); c.op != "update" || c.leftOut != 0 || len(c.listeners) != 1 || c.listeners[0] != "listener/0.0.0.0/10085" {
		t.Fatalf("call %+v, want an update of a on port 10085", c)
	}
	waitFor(t, func() bool { return metricValue(t, reg, "envoy_gateway_xds_left_out_elements") == 0 })
	if got := metricValue(t, reg, "envoy_gateway_xds_left_out_total"); got != 1 {
		t.Errorf("left out of a = %v, want still 1", got)
	}
}

// metricValue sums the counter or gauge name over its series (the tests
// using it have one fleet).
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

func errorsCount(t *testing.T, reg *prometheus.Registry, fleet string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "envoy_gateway_xds_translation_errors_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "fleet" && l.GetValue() == fleet {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestRunnerWithServer wires the runner to a real (plaintext, loopback) xDS
// server, the way the server command does.
func TestRunnerWithServer(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv, err := server.New(server.Options{Address: "127.0.0.1", Plaintext: true, Registerer: reg, Logger: logr.Discard()})
	if err != nil {
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
	startRunner(t, results, srv, reg)

	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("a", xdsWithPort(10080)), fleet("b", xdsWithPort(10081))}})
	waitFor(t, func() bool { return slices.Equal(srv.Fleets(), []string{"a", "b"}) })
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("b", xdsWithPort(10081))}})
	waitFor(t, func() bool { return slices.Equal(srv.Fleets(), []string{"b"}) })
	// The first result also set the rate limit service's (empty) configuration.
	if got := testutil.ToFloat64(counterOf(t, reg, "envoy_gateway_xds_snapshot_updates_total")); got != 4 {
		t.Errorf("snapshot updates = %v, want 4 (a, b, the rate limit service's, removal of a)", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", waitBound)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// counterOf returns a gauge holding the sum of a counter family in reg.
func counterOf(t testing.TB, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sum"})
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				g.Add(m.GetCounter().GetValue())
			}
		}
	}
	return g
}

// routeNames lists the routes of res, in order, as "<name> <path prefix>".
func routeNames(res *translator.Resources) []string {
	var out []string
	for _, compact := range res.Routes {
		rc := &routev3.RouteConfiguration{} // as its bytes say (see assignments)
		if b, err := proto.Marshal(compact); err != nil || proto.Unmarshal(b, rc) != nil {
			panic(fmt.Sprintf("route configuration %s does not decode", compact.GetName()))
		}
		for _, vh := range rc.GetVirtualHosts() {
			for _, r := range vh.GetRoutes() {
				out = append(out, r.GetName()+" "+r.GetMatch().GetPathSeparatedPrefix())
			}
		}
	}
	return out
}
