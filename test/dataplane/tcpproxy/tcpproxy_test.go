package tcpproxy

import (
	"context"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/go-logr/logr"

	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
)

const waitTimeout = 30 * time.Second

func weightedProxy(ws map[string]uint32) *tcpproxyv3.TcpProxy {
	w := &tcpproxyv3.TcpProxy_WeightedCluster{}
	for _, n := range []string{"a", "b", "c"} {
		if v, ok := ws[n]; ok {
			w.Clusters = append(w.Clusters, &tcpproxyv3.TcpProxy_WeightedCluster_ClusterWeight{Name: n, Weight: v})
		}
	}
	return &tcpproxyv3.TcpProxy{StatPrefix: "s", ClusterSpecifier: &tcpproxyv3.TcpProxy_WeightedClusters{WeightedClusters: w}}
}

func TestCompileAndPick(t *testing.T) {
	if _, err := Compile(weightedProxy(map[string]uint32{"a": 1, "b": 0}), "p"); err == nil ||
		!strings.Contains(err.Error(), "p.weighted_clusters.clusters[1].weight: invalid") {
		t.Errorf("zero weight: %v", err)
	}
	c, err := Compile(weightedProxy(map[string]uint32{"a": 1, "b": 3}), "p")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for range 4000 {
		got[c.pick()]++
	}
	if got["a"] < 800 || got["a"] > 1200 || got["b"] < 2800 || got["b"] > 3200 {
		t.Errorf("picks %v, want about 1:3", got)
	}
}

// echo echoes bytes (and half-closes after the peer did).
func echo(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				_, _ = io.Copy(c, c)
				_ = c.(*net.TCPConn).CloseWrite()
				_ = c.Close()
			})
		}
	})
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return netip.MustParseAddrPort(ln.Addr().String())
}

func static(t *testing.T, name string, a netip.AddrPort) *upstream.Cluster {
	t.Helper()
	c, err := upstream.Compile(&clusterv3.Cluster{Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Address: a.Addr().String(), PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(a.Port())}}}}}}}},
		}}}}, upstream.Env{Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	t.Cleanup(c.Stop)
	return c
}

// proxied runs Serve on one end of a loopback connection and returns the
// other end.
func proxied(t *testing.T, cfg *Config, clusters map[string]*upstream.Cluster) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		cfg.Serve(ctx, server, Deps{Clusters: func(n string) *upstream.Cluster { return clusters[n] }, Logger: logr.Discard()})
	})
	t.Cleanup(func() { _ = client.Close(); cancel(); wg.Wait() })
	_ = client.SetDeadline(time.Now().Add(waitTimeout))
	return client
}

func TestServe(t *testing.T) {
	cfg, err := Compile(&tcpproxyv3.TcpProxy{StatPrefix: "s", ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: "a"}}, "p")
	if err != nil {
		t.Fatal(err)
	}
	conn := proxied(t, cfg, map[string]*upstream.Cluster{"a": static(t, "a", echo(t))})
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(conn)
	if err != nil || string(got) != "ping" {
		t.Fatalf("echo %q, %v (half-close must pass through and end the stream)", got, err)
	}

	missing := proxied(t, cfg, map[string]*upstream.Cluster{})
	if n, err := missing.Read(make([]byte, 1)); err == nil {
		t.Errorf("read %d bytes from a connection to an unknown cluster; want it closed", n)
	}
}
