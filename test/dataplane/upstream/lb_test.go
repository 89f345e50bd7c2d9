package upstream

import (
	"net/netip"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

func hosts(spec ...Host) []*Host {
	out := make([]*Host, len(spec))
	for i := range spec {
		h := spec[i]
		if h.Weight == 0 {
			h.Weight = 1
		}
		out[i] = &h
	}
	return out
}

// counts picks n hosts and counts them by address.
func counts(t *testing.T, s *hostSet, n int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for range n {
		h, err := s.pick()
		if err != nil {
			t.Fatal(err)
		}
		out[h.Address]++
	}
	return out
}

func TestRoundRobin(t *testing.T) {
	s := newHostSet(hosts(Host{Address: "a"}, Host{Address: "b"}, Host{Address: "c"}))
	order := make([]string, 0, 6)
	for range 6 {
		h, _ := s.pick()
		order = append(order, h.Address)
	}
	if got := order; got[0] != "a" || got[1] != "b" || got[2] != "c" || got[3] != "a" {
		t.Errorf("order %v, want a rotation", got)
	}
}

func TestWeightedRoundRobin(t *testing.T) {
	s := newHostSet(hosts(Host{Address: "a", Weight: 1}, Host{Address: "b", Weight: 3}))
	got := counts(t, s, 400)
	if got["a"] != 100 || got["b"] != 300 {
		t.Errorf("picks %v, want exactly 1:3 over whole rounds (EDF)", got)
	}
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name  string
		hosts []*Host
		only  []string // the hosts that may be picked
	}{
		{"unhealthy hosts skipped", hosts(Host{Address: "a"}, Host{Address: "b", Health: Unhealthy}), []string{"a"}},
		{"panic: fewer than half healthy, all hosts used",
			hosts(Host{Address: "a"}, Host{Address: "b", Health: Unhealthy}, Host{Address: "c", Health: Unhealthy}),
			[]string{"a", "b", "c"}},
		{"excluded (draining) never used, even in panic",
			hosts(Host{Address: "a", Health: Unhealthy}, Host{Address: "b", Health: Excluded}), []string{"a"}},
		{"degraded used when healthy hosts are short",
			hosts(Host{Address: "a"}, Host{Address: "b", Health: Degraded}, Host{Address: "c", Health: Degraded}),
			[]string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := counts(t, newHostSet(tt.hosts), 300)
			for addr := range got {
				found := false
				for _, o := range tt.only {
					found = found || o == addr
				}
				if !found {
					t.Errorf("picked %s; only %v allowed", addr, tt.only)
				}
			}
			for _, o := range tt.only {
				if got[o] == 0 {
					t.Errorf("never picked %s (%v)", o, got)
				}
			}
		})
	}
	if _, err := newHostSet(nil).pick(); err != ErrNoHealthyUpstream {
		t.Errorf("empty set: %v, want no healthy upstream", err)
	}
}

func TestDegradedShare(t *testing.T) {
	// 2 healthy of 3 hosts: 66.7% x 1.4 = 93.3% of the load to healthy hosts.
	s := newHostSet(hosts(Host{Address: "h1"}, Host{Address: "h2"}, Host{Address: "d", Health: Degraded}))
	got := counts(t, s, 3000)
	if got["d"] < 100 || got["d"] > 320 {
		t.Errorf("degraded share %d/3000, want about 6.7%%", got["d"])
	}
}

func TestSelectFamily(t *testing.T) {
	v4, v6 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")
	mapped := netip.MustParseAddr("::ffff:10.0.0.2")
	both := []netip.Addr{v6, v4, mapped}
	tests := []struct {
		family clusterv3.Cluster_DnsLookupFamily
		in     []netip.Addr
		want   int // number of addresses
		first  netip.Addr
	}{
		{clusterv3.Cluster_AUTO, both, 1, v6},
		{clusterv3.Cluster_AUTO, []netip.Addr{v4}, 1, v4},
		{clusterv3.Cluster_V4_PREFERRED, both, 2, v4},
		{clusterv3.Cluster_V4_PREFERRED, []netip.Addr{v6}, 1, v6},
		{clusterv3.Cluster_V4_ONLY, []netip.Addr{v6}, 0, netip.Addr{}},
		{clusterv3.Cluster_V6_ONLY, both, 1, v6},
		{clusterv3.Cluster_ALL, both, 3, v4},
	}
	for _, tt := range tests {
		got := selectFamily(tt.in, tt.family)
		if len(got) != tt.want || (tt.want > 0 && got[0] != tt.first) {
			t.Errorf("%s of %v = %v", tt.family, tt.in, got)
		}
	}
}
