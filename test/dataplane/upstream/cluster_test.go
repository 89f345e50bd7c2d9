package upstream

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/go-logr/logr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

const waitTimeout = 30 * time.Second

func addr(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

func assignment(name string, hostsPorts ...string) *endpointv3.ClusterLoadAssignment {
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{}}}
	for _, hp := range hostsPorts {
		ap := netip.MustParseAddrPort(hp)
		cla.Endpoints[0].LbEndpoints = append(cla.Endpoints[0].LbEndpoints, &endpointv3.LbEndpoint{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: addr(ap.Addr().String(), uint32(ap.Port()))}},
		})
	}
	return cla
}

func edsCluster(name string) *clusterv3.Cluster {
	return &clusterv3.Cluster{Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig: &clusterv3.Cluster_EdsClusterConfig{EdsConfig: &corev3.ConfigSource{
			ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}}}}
}

func TestCompileRejects(t *testing.T) {
	static := &clusterv3.Cluster{Name: "s", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: "s", Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
				Endpoint: &endpointv3.Endpoint{Address: addr("backend.example", 80)}}}},
		}}}}
	nonADS := edsCluster("e")
	nonADS.EdsClusterConfig.EdsConfig = &corev3.ConfigSource{}
	tests := []struct {
		name    string
		c       *clusterv3.Cluster
		wantErr string
	}{
		{"STATIC with a hostname", static,
			"load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: malformed IP address: backend.example"},
		{"EDS without ADS", nonADS, "eds_cluster_config.eds_config: invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.c, Env{Logger: logr.Discard()})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Compile error = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if _, err := CompileAssignment(assignment("x", "[fe80::1%25eth0]:80")); err == nil {
		t.Error("an address with a zone was accepted")
	}
}

// dns answers from a mutable table and counts lookups.
type dns struct {
	mu      sync.Mutex
	answers map[string][]netip.Addr
	fail    bool
	lookups chan string
}

func (d *dns) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	d.mu.Lock()
	a, fail := d.answers[host], d.fail
	d.mu.Unlock()
	select {
	case d.lookups <- host:
	default:
	}
	if fail {
		return nil, errors.New("SERVFAIL")
	}
	return a, nil
}

func (d *dns) set(host string, addrs []netip.Addr, fail bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.answers[host], d.fail = addrs, fail
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, waitTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func addresses(c *Cluster) string {
	hs := c.Hosts()
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		out = append(out, h.Address)
	}
	return strings.Join(out, ",")
}

// TestStrictDNS: every address of the hostname is a host; re-resolution
// follows the answer; a failure keeps the last good answer.
func TestStrictDNS(t *testing.T) {
	d := &dns{answers: map[string][]netip.Addr{"svc.example": {netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}},
		lookups: make(chan string, 100)}
	pc := &clusterv3.Cluster{Name: "d", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS},
		DnsLookupFamily: clusterv3.Cluster_V4_PREFERRED,
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: "d", Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
				Endpoint: &endpointv3.Endpoint{Address: addr("svc.example", 443)}}}},
		}}}}
	c, err := Compile(pc, Env{Resolver: d, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	c.dns.refresh = 20 * time.Millisecond // re-resolve quickly; outcomes are polled
	c.Start()
	defer c.Stop()
	select {
	case <-c.Ready():
	case <-time.After(waitTimeout):
		t.Fatal("not initialized")
	}
	if got := addresses(c); got != "10.0.0.1:443,10.0.0.2:443" {
		t.Fatalf("hosts %s", got)
	}
	d.set("svc.example", []netip.Addr{netip.MustParseAddr("10.0.0.3")}, false)
	eventually(t, "re-resolution", func() bool { return addresses(c) == "10.0.0.3:443" })
	for len(d.lookups) > 0 {
		<-d.lookups
	}
	d.set("svc.example", nil, true)
	for range 4 { // at least three whole rounds that failed
		<-d.lookups
	}
	if got := addresses(c); got != "10.0.0.3:443" {
		t.Errorf("after failures hosts %s, want the last good answer", got)
	}
}

func TestManagerWarmingAndEDSCache(t *testing.T) {
	changed := make(chan struct{}, 10)
	m := NewManager(Env{Logger: logr.Discard()}, func() { changed <- struct{}{} })
	defer m.Stop()
	compile := func(pc *clusterv3.Cluster) *Cluster {
		c, err := Compile(pc, Env{Logger: logr.Discard()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := m.ApplyCDS([]*Cluster{compile(edsCluster("a"))}, nil); err != nil {
		t.Fatal(err)
	}
	if m.Warming() != 1 || m.Get("a") != nil {
		t.Fatal("EDS cluster active before its assignment")
	}
	if got := m.EDSNames(); len(got) != 1 || got[0] != "a" {
		t.Fatalf("EDS names %v", got)
	}
	a, err := CompileAssignment(assignment("a", "10.0.0.1:80"))
	if err != nil {
		t.Fatal(err)
	}
	m.ApplyEDS([]*Assignment{a})
	eventually(t, "warmed", func() bool { return m.Get("a") != nil })

	// A changed cluster with the same EDS name warms from the cache.
	changedCluster := edsCluster("a")
	changedCluster.ConnectTimeout = durationpb.New(3 * time.Second)
	if err := m.ApplyCDS([]*Cluster{compile(changedCluster)}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "re-warmed from the EDS cache", func() bool {
		c := m.Get("a")
		return c != nil && proto.Equal(c.Proto, changedCluster) && len(c.Hosts()) == 1
	})
	// Unchanged: nothing warms; absent: removed; static: refused.
	if err := m.ApplyCDS([]*Cluster{compile(changedCluster)}, nil); err != nil || m.Warming() != 0 {
		t.Fatalf("unchanged cluster: %v, warming %d", err, m.Warming())
	}
	static, err := Compile(&clusterv3.Cluster{Name: "xds", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	m.AddStatic(static)
	eventually(t, "static cluster", func() bool { return m.Get("xds") != nil })
	err = m.ApplyCDS([]*Cluster{compile(&clusterv3.Cluster{Name: "xds"})}, nil)
	if err == nil || !strings.Contains(err.Error(), "static cluster cannot be updated via CDS") {
		t.Errorf("CDS update of a static cluster: %v", err)
	}
	if m.Get("a") != nil || m.Get("xds") == nil {
		t.Error("dynamic cluster absent from CDS not removed, or static cluster removed")
	}
}

func TestConnectErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := netip.MustParseAddrPort(ln.Addr().String())
	_ = ln.Close()
	c, err := Compile(&clusterv3.Cluster{Name: "c", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		LoadAssignment: assignment("c", closed.String())}, Env{Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	defer c.Stop()
	h, err := c.Pick()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DialTCP(context.Background(), h)
	ce, ok := errors.AsType[*ConnectError](err)
	if !ok || ce.Error() != "remote connection failure, transport failure reason: delayed connect error: Connection refused" {
		t.Fatalf("dial error %v", err)
	}
}
