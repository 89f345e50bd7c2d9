package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/envoygw/envoy-gateway/internal/crypto"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

const (
	fleetA = "envoy-gateway-system/fleet-a"
	fleetB = "envoy-gateway-system/fleet-b"
)

// logBuffer collects log lines; safe for the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		b.mu.Lock()
		defer b.mu.Unlock()
		fmt.Fprintln(&b.buf, prefix, args)
	}, funcr.Options{Verbosity: 1})
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is a running server with its certificates and metrics.
type testServer struct {
	*server.Server
	addr  string
	certs *crypto.Certificates
	dir   string
	reg   *prometheus.Registry
	logs  *logBuffer
	// propagated counts the calls of Options.OnPropagated.
	propagated *atomic.Int64
}

// startServer runs an mTLS server on a free loopback port until the test ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	certs, err := crypto.Generate(crypto.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := certs.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{certs: certs, dir: dir, reg: prometheus.NewRegistry(), logs: &logBuffer{}, propagated: &atomic.Int64{}}
	s, err := server.New(server.Options{
		Address: "127.0.0.1",
		TLS: &server.TLSFiles{
			CertFile: filepath.Join(dir, crypto.ServerDir, crypto.CertFile),
			KeyFile:  filepath.Join(dir, crypto.ServerDir, crypto.KeyFile),
			CAFile:   filepath.Join(dir, crypto.ServerDir, crypto.CAFile),
		},
		Registerer:   ts.reg,
		Logger:       ts.logs.logger(),
		OnPropagated: func() { ts.propagated.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = s
	run(t, s)
	ts.addr = s.Addr().String()
	return ts
}

// run starts s until the test ends, and checks Start returns nil then.
func run(t *testing.T, s *server.Server) {
	t.Helper()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- s.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("Start returned %v", err)
			}
		case <-time.After(waitTimeout):
			t.Error("server did not stop")
		}
	})
}

// clientTLS is a TLS configuration with the generated client certificate.
func (ts *testServer) clientTLS(t *testing.T) *tls.Config {
	t.Helper()
	cert, err := tls.X509KeyPair(ts.certs.Client.CertPEM, ts.certs.Client.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return clientTLS(t, ts.certs.CA.CertPEM, &cert)
}

// fleetIR is a fleet with an HTTP and an HTTPS listener, each with one route
// to its own cluster. variant changes it: "update" changes a route and the
// endpoints of a cluster; "delete" removes the HTTPS listener and its cluster.
func fleetIR(prefix, variant string) *ir.Xds {
	clusterA := "service/" + prefix + "/a/80"
	clusterB := "service/" + prefix + "/b/80"
	path := "/a"
	endpoint := "10.0.0.2"
	if variant == "update" {
		path, endpoint = "/a-v2", "10.0.0.3"
	}
	x := &ir.Xds{
		HTTP: []*ir.HTTPListener{{
			Name: prefix + "/eg/http", Address: "0.0.0.0", Port: 10080, Hostnames: []string{"*"},
			Routes: []*ir.HTTPRoute{{
				Name: "httproute/" + prefix + "/a/rule/0/match/0", Hostname: "a.example.com",
				PathMatch:   &ir.StringMatch{Type: ir.MatchPrefix, Value: path},
				Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: clusterA, Weight: 1}}},
			}},
		}},
		Clusters: []*ir.Cluster{{Name: clusterA, Discovery: ir.DiscoveryEDS, Endpoints: []*ir.Endpoint{{Address: "10.0.0.1", Port: 8080}}}},
	}
	if variant == "delete" {
		return x
	}
	x.HTTP = append(x.HTTP, &ir.HTTPListener{
		Name: prefix + "/eg/https", Address: "0.0.0.0", Port: 10443, Hostnames: []string{"b.example.com"},
		TLS: &ir.TLSConfig{Certificates: []*ir.Certificate{{Name: prefix + "/b-cert", Certificate: "cert-pem", PrivateKey: "key-pem"}}},
		Routes: []*ir.HTTPRoute{{
			Name: "httproute/" + prefix + "/b/rule/0/match/0", Hostname: "b.example.com",
			Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: clusterB, Weight: 1}}},
		}},
	})
	x.Clusters = append(x.Clusters, &ir.Cluster{Name: clusterB, Discovery: ir.DiscoveryEDS, Endpoints: []*ir.Endpoint{{Address: endpoint, Port: 8080}}})
	return x
}

func translate(t *testing.T, x *ir.Xds) *translator.Resources {
	t.Helper()
	res, err := translator.Translate(x)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func update(t *testing.T, s *server.Server, fleet string, res *translator.Resources) {
	t.Helper()
	changed, err := s.Update(fleet, res)
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		t.Fatalf("Update(%s) reports no change", fleet)
	}
}

// byType lists the resources of res by type URL, as a map of name to resource.
func byType(res *translator.Resources) map[string]map[string]proto.Message {
	out := map[string]map[string]proto.Message{
		resourcev3.ListenerType: {}, resourcev3.RouteType: {}, resourcev3.ClusterType: {},
		resourcev3.EndpointType: {}, resourcev3.SecretType: {},
	}
	for _, r := range res.Listeners {
		out[resourcev3.ListenerType][r.GetName()] = r
	}
	for _, r := range res.Routes {
		out[resourcev3.RouteType][r.GetName()] = r
	}
	for _, r := range res.Clusters {
		out[resourcev3.ClusterType][r.GetName()] = r
	}
	for _, r := range res.Endpoints {
		out[resourcev3.EndpointType][r.GetClusterName()] = r
	}
	for _, r := range res.Secrets {
		out[resourcev3.SecretType][r.GetName()] = r
	}
	return out
}

// holds reports whether held equals want for every type.
func holds(held func(typeURL string) map[string]proto.Message, want map[string]map[string]proto.Message) bool {
	for typeURL, w := range want {
		if !cmp.Equal(w, held(typeURL), protocmp.Transform()) {
			return false
		}
	}
	return true
}

func TestSotwReceivesFullSetUpdatesAndDeletions(t *testing.T) {
	ts := startServer(t)
	initial := translate(t, fleetIR("a", ""))
	update(t, ts.Server, fleetA, initial)

	c := syncedEnvoy(t, ts, initial)
	want := byType(initial)
	if n := len(want[resourcev3.SecretType]); n != 1 {
		t.Fatalf("test fleet should have a secret, has %d", n)
	}
	before := map[string]string{}
	for typeURL := range want {
		before[typeURL] = c.typ(typeURL).version
	}

	// An update changing a route and the endpoints of a cluster is pushed as
	// new versions of exactly those two types.
	c.received = nil
	updated := translate(t, fleetIR("a", "update"))
	update(t, ts.Server, fleetA, updated)
	want = byType(updated)
	c.syncUntil(func() bool { return holds(c.typ2, want) })
	for typeURL := range want {
		changed := typeURL == resourcev3.RouteType || typeURL == resourcev3.EndpointType
		if got := c.typ(typeURL).version != before[typeURL]; got != changed {
			t.Errorf("%s: version changed = %v, want %v", typeName(typeURL), got, changed)
		}
	}
	if got := slices.Sorted(slices.Values(c.received)); !slices.Equal(got, []string{resourcev3.EndpointType, resourcev3.RouteType}) {
		t.Errorf("responses after the update: %v, want one EDS and one RDS", got)
	}

	// Deleting the HTTPS listener removes its listener, routes, cluster,
	// endpoints and secret.
	deleted := translate(t, fleetIR("a", "delete"))
	update(t, ts.Server, fleetA, deleted)
	want = byType(deleted)
	c.syncUntil(func() bool { return holds(c.typ2, want) })
	if got := c.names(resourcev3.ListenerType); !slices.Equal(got, []string{"listener/0.0.0.0/10080"}) {
		t.Errorf("listeners after deletion: %v", got)
	}
	if got := c.names(resourcev3.SecretType); len(got) != 0 {
		t.Errorf("secrets after deletion: %v", got)
	}

	// The same translation again sets no snapshot, so nothing can be pushed.
	updates := metricSum(t, ts.reg, "envoy_gateway_xds_snapshot_updates_total", map[string]string{"fleet": fleetA})
	changed, err := ts.Update(fleetA, translate(t, fleetIR("a", "delete")))
	if err != nil || changed {
		t.Fatalf("Update with unchanged content: changed %v, err %v", changed, err)
	}
	if after := metricSum(t, ts.reg, "envoy_gateway_xds_snapshot_updates_total", map[string]string{"fleet": fleetA}); after != updates {
		t.Errorf("snapshot updates went from %v to %v without a change", updates, after)
	}
}

// typ2 adapts the client's state to holds.
func (c *sotwClient) typ2(typeURL string) map[string]proto.Message { return c.typ(typeURL).resources }

// metricSum sums the samples of the metric name whose labels include labels.
func metricSum(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// eventually polls cond until it holds, failing after waitTimeout.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, waitTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDeltaReceivesFullSetUpdatesAndDeletions(t *testing.T) {
	ts := startServer(t)
	initial := translate(t, fleetIR("a", ""))
	update(t, ts.Server, fleetA, initial)

	c := newDeltaClient(t, dial(t, ts.addr, ts.clientTLS(t)), node("proxy-1", fleetA, "envoy"))
	c.wildcard(resourcev3.ClusterType)
	c.wildcard(resourcev3.ListenerType)
	want := byType(initial)
	c.syncUntil(func() bool { return holds(c.held, want) })
	before := map[string]map[string]string{}
	for typeURL := range want {
		before[typeURL] = maps.Clone(c.versions[typeURL])
	}

	// Only the changed route configuration and assignment are sent, with new versions.
	c.received = nil
	updated := translate(t, fleetIR("a", "update"))
	update(t, ts.Server, fleetA, updated)
	want = byType(updated)
	c.syncUntil(func() bool { return holds(c.held, want) })
	for typeURL, names := range before {
		for name, v := range names {
			changed := (typeURL == resourcev3.RouteType && name == "route/0.0.0.0/10080") ||
				(typeURL == resourcev3.EndpointType && name == "service/a/b/80")
			if got := c.versions[typeURL][name] != v; got != changed {
				t.Errorf("%s %s: version changed = %v, want %v", typeName(typeURL), name, got, changed)
			}
		}
	}
	if got := slices.Sorted(slices.Values(c.received)); !slices.Equal(got, []string{resourcev3.EndpointType, resourcev3.RouteType}) {
		t.Errorf("responses after the update: %v, want one EDS and one RDS", got)
	}

	deleted := translate(t, fleetIR("a", "delete"))
	update(t, ts.Server, fleetA, deleted)
	want = byType(deleted)
	c.syncUntil(func() bool { return holds(c.held, want) })
	if got := c.names(resourcev3.ClusterType); !slices.Equal(got, []string{"service/a/a/80"}) {
		t.Errorf("clusters after deletion: %v", got)
	}

	updates := metricSum(t, ts.reg, "envoy_gateway_xds_snapshot_updates_total", map[string]string{"fleet": fleetA})
	changed, err := ts.Update(fleetA, translate(t, fleetIR("a", "delete")))
	if err != nil || changed {
		t.Fatalf("Update with unchanged content: changed %v, err %v", changed, err)
	}
	if after := metricSum(t, ts.reg, "envoy_gateway_xds_snapshot_updates_total", map[string]string{"fleet": fleetA}); after != updates {
		t.Errorf("snapshot updates went from %v to %v without a change", updates, after)
	}
}

// TestSotwByName is a client like grpc-go's: it asks for resources by name,
// fewer than the fleet has, and gets exactly those.
func TestSotwByName(t *testing.T) {
	ts := startServer(t)
	res := translate(t, fleetIR("a", ""))
	update(t, ts.Server, fleetA, res)

	c := newSotwClient(t, dial(t, ts.addr, ts.clientTLS(t)), node("grpc-client", fleetA, "gRPC Go"), false)
	steps := []struct {
		typeURL string
		name    string
	}{
		{resourcev3.ListenerType, "listener/0.0.0.0/10080"},
		{resourcev3.RouteType, "route/0.0.0.0/10080"},
		{resourcev3.ClusterType, "service/a/a/80"},
		{resourcev3.EndpointType, "service/a/a/80"},
	}
	want := byType(res)
	for _, s := range steps {
		c.subscribe(s.typeURL, []string{s.name})
		r := c.recv()
		c.handle(r)
		if r.GetTypeUrl() != s.typeURL {
			t.Fatalf("asked for %s, got %s", typeName(s.typeURL), r.GetTypeUrl())
		}
		got := c.typ(s.typeURL).resources
		if diff := cmp.Diff(map[string]proto.Message{s.name: want[s.typeURL][s.name]}, got, protocmp.Transform()); diff != "" {
			t.Errorf("%s by name (-want +got):\n%s", typeName(s.typeURL), diff)
		}
	}

	// An update of a named resource reaches it too. The assignment is sent
	// again as well (its type's version changed), in no particular order.
	c.received = nil
	updated := byType(translate(t, fleetIR("a", "update")))
	update(t, ts.Server, fleetA, translate(t, fleetIR("a", "update")))
	wantRoute := map[string]proto.Message{"route/0.0.0.0/10080": updated[resourcev3.RouteType]["route/0.0.0.0/10080"]}
	c.syncUntil(func() bool { return cmp.Equal(wantRoute, c.typ(resourcev3.RouteType).resources, protocmp.Transform()) })
	for _, typeURL := range c.received {
		if typeURL != resourcev3.RouteType && typeURL != resourcev3.EndpointType {
			t.Errorf("unexpected %s response after a route and endpoint change", typeName(typeURL))
		}
	}
	if got := c.names(resourcev3.EndpointType); !slices.Equal(got, []string{"service/a/a/80"}) {
		t.Errorf("assignments after update: %v, want only the named one", got)
	}
}

// TestFleetIsolation checks that a proxy of one fleet never sees another
// fleet's resources, and sees its own once they exist.
func TestFleetIsolation(t *testing.T) {
	ts := startServer(t)
	update(t, ts.Server, fleetA, translate(t, fleetIR("a", "")))

	conn := dial(t, ts.addr, ts.clientTLS(t))
	sotw := newSotwClient(t, conn, node("proxy-b", fleetB, "envoy"), true)
	sotw.subscribe(resourcev3.ClusterType, nil)
	sotw.subscribe(resourcev3.ListenerType, nil)
	delta := newDeltaClient(t, conn, node("proxy-b2", fleetB, "envoy"))
	delta.wildcard(resourcev3.ClusterType)
	delta.wildcard(resourcev3.ListenerType)

	// Whatever the proxies of fleet b got before it had a configuration,
	// and after, is checked below among everything they ever received.
	resB := translate(t, fleetIR("b", "delete"))
	update(t, ts.Server, fleetB, resB)
	want := byType(resB)
	sotw.syncUntil(func() bool { return holds(sotw.typ2, want) })
	delta.syncUntil(func() bool { return holds(delta.held, want) })
	for _, seen := range []map[string]bool{sotw.seen, delta.seen} {
		for key := range seen {
			typeURL, name, _ := strings.Cut(key, " ")
			isService := typeURL == resourcev3.ClusterType || typeURL == resourcev3.EndpointType
			if isService && !strings.HasPrefix(name, "service/b/") {
				t.Errorf("fleet b proxy got %s %s", typeName(typeURL), name)
			}
		}
	}

	// Removing fleet b empties its proxies' configuration; fleet a is untouched.
	if err := ts.Remove(fleetB); err != nil {
		t.Fatal(err)
	}
	empty := byType(&translator.Resources{})
	sotw.syncUntil(func() bool { return holds(sotw.typ2, empty) })
	delta.syncUntil(func() bool { return holds(delta.held, empty) })
	if got := ts.Fleets(); !slices.Equal(got, []string{fleetA}) {
		t.Errorf("Fleets() = %v, want only %s", got, fleetA)
	}
}

func TestMTLSRefusesClientsWithoutValidCertificate(t *testing.T) {
	ts := startServer(t)
	update(t, ts.Server, fleetA, translate(t, fleetIR("a", "")))

	other, err := crypto.Generate(crypto.Options{})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := tls.X509KeyPair(other.Client.CertPEM, other.Client.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	// A server certificate of the right CA is no client certificate.
	serverCert, err := tls.X509KeyPair(ts.certs.Server.CertPEM, ts.certs.Server.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	tls12 := ts.clientTLS(t)
	tls12.MaxVersion = tls.VersionTLS12

	refused := map[string]*tls.Config{
		"no client certificate":          clientTLS(t, ts.certs.CA.CertPEM, nil),
		"certificate of another CA":      clientTLS(t, ts.certs.CA.CertPEM, &foreign),
		"certificate without clientAuth": clientTLS(t, ts.certs.CA.CertPEM, &serverCert),
		"TLS 1.2":                        tls12,
		"plaintext":                      nil,
	}
	for name, cfg := range refused {
		t.Run(name, func(t *testing.T) {
			assertRefused(t, ts.addr, cfg)
		})
	}
	t.Run("valid certificate", func(t *testing.T) {
		c := newSotwClient(t, dial(t, ts.addr, ts.clientTLS(t)), node("p", fleetA, "envoy"), false)
		c.subscribe(resourcev3.ListenerType, nil)
		if r := c.recv(); len(r.GetResources()) != 2 {
			t.Fatalf("got %d listeners, want 2", len(r.GetResources()))
		}
	})
}

// assertRefused checks that a stream over cfg (plaintext when nil) ends in
// an error without a single response.
func assertRefused(t *testing.T, addr string, cfg *tls.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(dial(t, addr, cfg)).StreamAggregatedResources(ctx)
	if err == nil {
		err = stream.Send(&discoveryv3.DiscoveryRequest{Node: node("p", fleetA, "envoy"), TypeUrl: resourcev3.ListenerType})
	}
	if err == nil {
		var r *discoveryv3.DiscoveryResponse
		r, err = stream.Recv()
		if err == nil {
			t.Fatalf("server answered with %d %s", len(r.GetResources()), r.GetTypeUrl())
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("no refusal within %s, only the deadline: %v", waitTimeout, err)
	}
}

func TestNACKIsLoggedAndCounted(t *testing.T) {
	ts := startServer(t)
	update(t, ts.Server, fleetA, translate(t, fleetIR("a", "")))
	c := newSotwClient(t, dial(t, ts.addr, ts.clientTLS(t)), node("proxy-1", fleetA, "envoy"), false)
	c.subscribe(resourcev3.ListenerType, nil)
	r := c.recv()
	// Reject it: the request carries the previous (empty) version, the
	// rejected nonce and the error.
	s := c.typ(resourcev3.ListenerType)
	s.nonce = r.GetNonce()
	c.send(resourcev3.ListenerType, &status.Status{Code: 3, Message: "listener/0.0.0.0/10443: bad filter chain"})

	nacks := func() float64 {
		return metricSum(t, ts.reg, "envoy_gateway_xds_nacks_total", map[string]string{"fleet": fleetA, "type": "Listener"})
	}
	eventually(t, func() bool { return nacks() == 1 }, "NACK counted")
	eventually(t, func() bool { return strings.Contains(ts.logs.String(), "bad filter chain") }, "NACK detail logged")
	if !strings.Contains(ts.logs.String(), "NACK") {
		t.Errorf("log does not say NACK:\n%s", ts.logs.String())
	}
}

func TestConnectedProxiesAndPushesAreCounted(t *testing.T) {
	ts := startServer(t)
	update(t, ts.Server, fleetA, translate(t, fleetIR("a", "")))
	connected := func(protocol string) float64 {
		return metricSum(t, ts.reg, "envoy_gateway_xds_connected_proxies", map[string]string{"fleet": fleetA, "protocol": protocol})
	}
	conn := dial(t, ts.addr, ts.clientTLS(t))
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&discoveryv3.DiscoveryRequest{Node: node("p1", fleetA, "envoy"), TypeUrl: resourcev3.ClusterType}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	d := newDeltaClient(t, conn, node("p2", fleetA, "envoy"))
	d.wildcard(resourcev3.ClusterType)
	d.handle(d.recv())

	if got := connected("sotw"); got != 1 {
		t.Errorf("connected sotw proxies = %v, want 1", got)
	}
	if got := connected("delta"); got != 1 {
		t.Errorf("connected delta proxies = %v, want 1", got)
	}
	if got := metricSum(t, ts.reg, "envoy_gateway_xds_pushes_total", map[string]string{"fleet": fleetA, "type": "Cluster"}); got != 2 {
		t.Errorf("cluster pushes = %v, want 2", got)
	}
	if got := metricSum(t, ts.reg, "envoy_gateway_xds_snapshot_updates_total", map[string]string{"fleet": fleetA}); got != 1 {
		t.Errorf("snapshot updates = %v, want 1", got)
	}
	cancel()
	for { // drain until the stream reports the cancellation
		if _, err := stream.Recv(); err != nil {
			break
		}
	}
	eventually(t, func() bool { return connected("sotw") == 0 }, "closed stream no longer counted")
}

// TestCertificateRotation replaces the server's files with a new CA and
// certificates: new connections need the new client certificate.
func TestCertificateRotation(t *testing.T) {
	ts := startServer(t)
	update(t, ts.Server, fleetA, translate(t, fleetIR("a", "")))
	oldTLS := ts.clientTLS(t)

	rotated, err := crypto.Generate(crypto.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rotated.WriteDir(ts.dir, true); err != nil {
		t.Fatal(err)
	}
	assertRefused(t, ts.addr, oldTLS)

	cert, err := tls.X509KeyPair(rotated.Client.CertPEM, rotated.Client.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c := newSotwClient(t, dial(t, ts.addr, clientTLS(t, rotated.CA.CertPEM, &cert)), node("p", fleetA, "envoy"), false)
	c.subscribe(resourcev3.ListenerType, nil)
	if r := c.recv(); len(r.GetResources()) != 2 {
		t.Fatalf("got %d listeners after rotation, want 2", len(r.GetResources()))
	}

	// A broken rotation keeps the last good certificates.
	if err := os.WriteFile(filepath.Join(ts.dir, crypto.ServerDir, crypto.CertFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	c2 := newSotwClient(t, dial(t, ts.addr, clientTLS(t, rotated.CA.CertPEM, &cert)), node("p2", fleetA, "envoy"), false)
	c2.subscribe(resourcev3.ListenerType, nil)
	if r := c2.recv(); len(r.GetResources()) != 2 {
		t.Fatalf("got %d listeners with a broken certificate file, want 2", len(r.GetResources()))
	}
	if !strings.Contains(ts.logs.String(), "keeping the previous ones") {
		t.Errorf("broken rotation not logged:\n%s", ts.logs.String())
	}
}

func TestPlaintextOnLoopbackOnly(t *testing.T) {
	if _, err := server.New(server.Options{Address: "0.0.0.0", Plaintext: true}); err == nil {
		t.Error("plaintext accepted on 0.0.0.0")
	}
	if _, err := server.New(server.Options{Address: "127.0.0.1"}); err == nil {
		t.Error("a server without TLS files and without plaintext was accepted")
	}
	s, err := server.New(server.Options{Address: "127.0.0.1", Plaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s)
	update(t, s, fleetA, translate(t, fleetIR("a", "")))
	c := newSotwClient(t, dial(t, s.Addr().String(), nil), node("p", fleetA, "envoy"), false)
	c.subscribe(resourcev3.ListenerType, nil)
	if r := c.recv(); len(r.GetResources()) != 2 {
		t.Fatalf("got %d listeners over plaintext, want 2", len(r.GetResources()))
	}
}

func TestUpdateRejectsInconsistentResources(t *testing.T) {
	ts := startServer(t)
	good := translate(t, fleetIR("a", ""))
	update(t, ts.Server, fleetA, good)
	bad := translate(t, fleetIR("a", "update"))
	bad.Routes = bad.Routes[:1] // a listener now refers to a missing route configuration
	if _, err := ts.Update(fleetA, bad); err == nil {
		t.Fatal("Update accepted a listener referring to a missing route configuration")
	}
	// Only the route configurations change, but one of them under another
	// name: the consistency check must still run.
	renamed := translate(t, fleetIR("a", "update"))
	rc := proto.Clone(renamed.Routes[0]).(*routev3.RouteConfiguration)
	rc.Name += "-renamed"
	renamed.Routes = append([]*routev3.RouteConfiguration{rc}, renamed.Routes[1:]...)
	renamed.Listeners = good.Listeners
	if _, err := ts.Update(fleetA, renamed); err == nil {
		t.Fatal("Update accepted a route configuration no listener names in place of one a listener names")
	}
	c := newSotwClient(t, dial(t, ts.addr, ts.clientTLS(t)), node("p", fleetA, "envoy"), true)
	c.subscribe(resourcev3.ClusterType, nil)
	c.subscribe(resourcev3.ListenerType, nil)
	want := byType(good)
	c.syncUntil(func() bool { return holds(c.typ2, want) })
}
