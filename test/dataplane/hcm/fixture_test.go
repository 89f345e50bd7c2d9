package hcm

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	healthcheckv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/go-logr/logr"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
)

// waitTimeout bounds every wait in these tests.
const waitTimeout = 30 * time.Second

// seen is what a test backend received.
type seen struct {
	Method, Path, Host string
	Header             http.Header
	Body               string
}

// testBackend records the requests it gets and answers with handle.
type testBackend struct {
	addr netip.AddrPort
	mu   sync.Mutex
	got  []seen
}

func (b *testBackend) requests() []seen {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]seen(nil), b.got...)
}

func newBackend(t *testing.T, handle http.HandlerFunc) *testBackend {
	t.Helper()
	b := &testBackend{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.got = append(b.got, seen{Method: r.Method, Path: r.RequestURI, Host: r.Host, Header: r.Header.Clone(), Body: string(body)})
		b.mu.Unlock()
		if handle != nil {
			handle(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(seen{Method: r.Method, Path: r.RequestURI, Host: r.Host, Header: r.Header})
	}))
	t.Cleanup(srv.Close)
	b.addr = netip.MustParseAddrPort(srv.Listener.Addr().String())
	return b
}

// staticCluster compiles and starts a STATIC cluster of the addresses.
func staticCluster(t *testing.T, name string, addrs ...netip.AddrPort) *upstream.Cluster {
	t.Helper()
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{}}}
	for _, a := range addrs {
		cla.Endpoints[0].LbEndpoints = append(cla.Endpoints[0].LbEndpoints, &endpointv3.LbEndpoint{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: &corev3.Address{
				Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Address: a.Addr().String(), PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(a.Port())},
				}},
			}}},
		})
	}
	c, err := upstream.Compile(&clusterv3.Cluster{
		Name: name, ConnectTimeout: durationpb.New(5 * time.Second),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}, LoadAssignment: cla,
	}, upstream.Env{Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	t.Cleanup(c.Stop)
	return c
}

// fixture is a connection manager serving routes with clusters.
type fixture struct {
	url      string
	bg       *Background
	clusters map[string]*upstream.Cluster
	live     bool
}

func newFixture(t *testing.T, cfg *Config, rc *routev3.RouteConfiguration, clusters ...*upstream.Cluster) *fixture {
	t.Helper()
	return newFixtureWith(t, cfg, rc, nil, clusters...)
}

// newFixtureWith is newFixture with the connection manager's gRPC
// connections (the rate limit service).
func newFixtureWith(t *testing.T, cfg *Config, rc *routev3.RouteConfiguration, grpcConns GRPCConns,
	clusters ...*upstream.Cluster) *fixture {
	t.Helper()
	f := &fixture{clusters: map[string]*upstream.Cluster{}, live: true}
	for _, c := range clusters {
		f.clusters[c.Name] = c
	}
	var table *router.Table
	if rc != nil {
		var err error
		if table, err = router.CompileWith(rc, RouteOptions()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.bg = NewBackground(ctx)
	h := NewHandler(cfg, Deps{
		Routes:       func(string) *router.Table { return table },
		Clusters:     func(n string) *upstream.Cluster { return f.clusters[n] },
		Live:         func() bool { return f.live },
		LocalAddress: netip.MustParseAddr("10.1.2.3"),
		Background:   f.bg,
		Logger:       logr.Discard(),
		GRPC:         grpcConns,
	})
	srv := NewServer(h, false, logr.Discard())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !srv.Serve(c) {
				_ = c.Close()
			}
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done; srv.Close(); cancel(); f.bg.Wait() })
	f.url = "http://" + ln.Addr().String()
	return f
}

// config is an RDS connection manager config with the given options.
func config(mutate func(*Config)) *Config {
	c := &Config{StatPrefix: "test", RDSName: "r", useRemoteAddress: true, normalizePath: true, mergeSlashes: true,
		escapedSlashes: 1}
	if mutate != nil {
		mutate(c)
	}
	return c
}

// routes is a route configuration with one virtual host "*".
func routes(rs ...*routev3.Route) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{Name: "r", VirtualHosts: []*routev3.VirtualHost{{Name: "all", Domains: []string{"*"}, Routes: rs}}}
}

func prefixTo(prefix, cluster string, mutate func(*routev3.RouteAction)) *routev3.Route {
	a := &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}}
	if mutate != nil {
		mutate(a)
	}
	return &routev3.Route{Name: prefix, Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: prefix}},
		Action: &routev3.Route_Route{Route: a}}
}

// result is a response read whole.
type result struct {
	status int
	header http.Header
	body   string
}

// do sends a raw request (one connection, so any path goes on the wire
// as written) and reads the response.
func do(t *testing.T, f *fixture, method, path string, header http.Header) result {
	t.Helper()
	addr := strings.TrimPrefix(f.url, "http://")
	conn, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(waitTimeout))
	var b strings.Builder
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n")
	for k, vs := range header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufioReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func healthCheckProto(path string) *healthcheckv3.HealthCheck {
	return &healthcheckv3.HealthCheck{
		PassThroughMode: wrapperspb.Bool(false),
		Headers: []*routev3.HeaderMatcher{{Name: ":path", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{
			StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: path}},
		}}},
	}
}
