package listener

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/go-logr/logr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/test/dataplane/hcm"
	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
)

const waitTimeout = 30 * time.Second

// echoServer echoes every byte on loopback until the test ends.
func echoServer(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { _, _ = io.Copy(c, c); _ = c.Close() })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return netip.MustParseAddrPort(ln.Addr().String())
}

func staticCluster(t *testing.T, name string, a netip.AddrPort) *upstream.Cluster {
	t.Helper()
	c, err := upstream.Compile(&clusterv3.Cluster{
		Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
				Endpoint: &endpointv3.Endpoint{Address: socketAddr(a.Addr().String(), uint32(a.Port()))},
			}}},
		}}},
	}, upstream.Env{Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	t.Cleanup(c.Stop)
	return c
}

type routesSeen struct{ has atomic.Bool }

func newManager(t *testing.T, clusters map[string]*upstream.Cluster, routes *routesSeen) *Manager {
	t.Helper()
	m := NewManager(Deps{
		HCM:      hcm.Deps{Clusters: func(n string) *upstream.Cluster { return clusters[n] }, Logger: logr.Discard()},
		HasRoute: func(string) bool { return routes != nil && routes.has.Load() }, HasSecret: func(string) bool { return false },
		DrainTime: 100 * time.Millisecond, Logger: logr.Discard(),
	})
	t.Cleanup(m.Stop)
	return m
}

func compile(t *testing.T, l *listenerv3.Listener) *Listener {
	t.Helper()
	c, err := Compile(l, CompileEnv{PodIP: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clientHello returns the first TLS record a client sends for sni.
func clientHello(t *testing.T, sni string) []byte {
	t.Helper()
	return clientHelloWith(t, &tls.Config{ServerName: sni, InsecureSkipVerify: true}) //nolint:gosec // bytes only
}

// roundTrip writes msg and reads it back from the echo behind the proxy.
func roundTrip(c net.Conn, msg []byte) error {
	_ = c.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return errors.New("echo differs")
	}
	return nil
}

// closedWithin reports whether the peer closes c before the wait bound.
func closedWithin(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	_, err := c.Read(make([]byte, 1))
	if err == nil {
		return false
	}
	ne, ok := errors.AsType[net.Error](err)
	return !ok || !ne.Timeout()
}

func inspectorFilter(t *testing.T) *listenerv3.ListenerFilter {
	t.Helper()
	a, err := anypb.New(&tlsinspectorv3.TlsInspector{})
	if err != nil {
		t.Fatal(err)
	}
	return &listenerv3.ListenerFilter{Name: strict.TLSInspectorName, ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: a}}
}

// TestUpdatesAndDrain: an update changing only the default filter chain
// is applied in place (connections on the unchanged chain go on, those on
// the changed one drain and close); a listener-level change replaces the
// listener (its connections drain); removal closes the socket.
func TestUpdatesAndDrain(t *testing.T) {
	echo := echoServer(t)
	m := newManager(t, map[string]*upstream.Cluster{"echo": staticCluster(t, "echo", echo)}, nil)
	plain := tcpProxyChain(t, "plain", "echo")
	plain.FilterChainMatch = &listenerv3.FilterChainMatch{TransportProtocol: "raw_buffer"}
	v1 := &listenerv3.Listener{Name: "l", Address: socketAddr("127.0.0.1", 0),
		ListenerFilters: []*listenerv3.ListenerFilter{inspectorFilter(t)},
		FilterChains:    []*listenerv3.FilterChain{plain}, DefaultFilterChain: tcpProxyChain(t, "default", "echo")}
	if err := m.ApplyLDS([]*Listener{compile(t, v1)}, nil); err != nil {
		t.Fatal(err)
	}
	m.Start()
	addr, ok := m.Addr("l")
	if !ok {
		t.Fatal("listener not active")
	}
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", addr.String(), waitTimeout)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	onPlain, onDefault := dial(), dial()
	if err := roundTrip(onPlain, []byte("plain")); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(onDefault, clientHello(t, "x.example.com")); err != nil {
		t.Fatal(err)
	}

	v2 := proto.Clone(v1).(*listenerv3.Listener)
	v2.DefaultFilterChain = tcpProxyChain(t, "default-v2", "echo")
	if err := m.ApplyLDS([]*Listener{compile(t, v2)}, nil); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(onDefault) {
		t.Error("connection on the replaced default chain not closed after draining")
	}
	if err := roundTrip(onPlain, []byte("still")); err != nil {
		t.Fatalf("connection on the unchanged chain broken by an in-place update: %v", err)
	}

	v3 := proto.Clone(v2).(*listenerv3.Listener)
	v3.PerConnectionBufferLimitBytes = wrapperspb.UInt32(1024)
	if err := m.ApplyLDS([]*Listener{compile(t, v3)}, nil); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(onPlain) {
		t.Error("connection of the replaced listener not closed after draining")
	}
	if err := roundTrip(dial(), []byte("new version")); err != nil {
		t.Fatalf("new version on the same socket: %v", err)
	}

	if err := m.ApplyLDS(nil, nil); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr.String(), waitTimeout); err == nil {
		_ = c.Close()
		t.Error("removed listener still accepts")
	}
}

func rdsChain(t *testing.T, route string) *listenerv3.FilterChain {
	t.Helper()
	a, err := anypb.New(&hcmv3.HttpConnectionManager{StatPrefix: "s", RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
		RouteConfigName: route,
		ConfigSource: &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
			InitialFetchTimeout: durationpb.New(0)},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return &listenerv3.FilterChain{Filters: []*listenerv3.Filter{{Name: strict.HTTPConnectionManagerName,
		ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: a}}}}
}

// TestWarming: a listener waits for its route configuration before it is
// active.
func TestWarming(t *testing.T) {
	routes := &routesSeen{}
	m := newManager(t, nil, routes)
	l := &listenerv3.Listener{Name: "l", Address: socketAddr("127.0.0.1", 0), FilterChains: []*listenerv3.FilterChain{rdsChain(t, "r")}}
	if err := m.ApplyLDS([]*Listener{compile(t, l)}, nil); err != nil {
		t.Fatal(err)
	}
	if m.Warming() != 1 || len(m.Listeners()) != 0 {
		t.Fatalf("warming %d, active %d; want the listener warming", m.Warming(), len(m.Listeners()))
	}
	if got := m.RouteNames(); len(got) != 1 || got[0] != "r" {
		t.Errorf("route names %v", got)
	}
	routes.has.Store(true)
	m.Reconcile()
	if m.Warming() != 0 || len(m.Listeners()) != 1 {
		t.Fatalf("warming %d, active %d; want it active once its route arrived", m.Warming(), len(m.Listeners()))
	}
}

func TestDuplicateAddress(t *testing.T) {
	m := newManager(t, nil, nil)
	a := compile(t, &listenerv3.Listener{Name: "a", Address: socketAddr("127.0.0.1", 0), FilterChains: []*listenerv3.FilterChain{tcpProxyChain(t, "c", "x")}})
	if err := m.ApplyLDS([]*Listener{a}, nil); err != nil {
		t.Fatal(err)
	}
	port := uint32(a.socket.addr.Port())
	b := compile(t, &listenerv3.Listener{Name: "b", Address: socketAddr("127.0.0.1", port), FilterChains: []*listenerv3.FilterChain{tcpProxyChain(t, "c", "x")}})
	err := m.ApplyLDS([]*Listener{a, b}, nil)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("b: cannot bind")) && !bytes.Contains([]byte(err.Error()), []byte("duplicate address")) {
		t.Fatalf("error %v, want b refused", err)
	}
}
