package cluster

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestResolverCandidates(t *testing.T) {
	r := (&clusterDNS{}).resolver("infra").(*podResolver)
	got := r.candidates("web")
	want := []string{"web.infra.svc.cluster.local", "web.svc.cluster.local", "web.cluster.local", "web"}
	if !slices.Equal(got, want) {
		t.Errorf("candidates(web) = %v", got)
	}
	if got := r.candidates("Web.Infra.svc.cluster.local."); !slices.Equal(got, []string{"web.infra.svc.cluster.local"}) {
		t.Errorf("an absolute name is tried alone: %v", got)
	}
	if got := r.candidates("a.b.c.d.e.f"); got[0] != "a.b.c.d.e.f" {
		t.Errorf("a name with ndots dots is tried first as is: %v", got)
	}
}

func TestResolverLookup(t *testing.T) {
	objs := []corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "web"},
			Spec: corev1.ServiceSpec{ClusterIP: "198.18.0.10", ClusterIPs: []string{"198.18.0.10"}}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "headless"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "alias"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "web.infra.svc.cluster.local."}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "outside"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}},
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "infra", Name: "headless-1", Labels: map[string]string{discoveryv1.LabelServiceName: "headless"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"198.18.4.1"}, Conditions: discoveryv1.EndpointConditions{Ready: new(true)}},
			{Addresses: []string{"198.18.4.2"}, Conditions: discoveryv1.EndpointConditions{Ready: new(false)}},
			{Addresses: []string{"198.18.4.3"}},
		},
	}
	b := fake.NewClientBuilder().WithObjects(slice)
	for i := range objs {
		b = b.WithObjects(&objs[i])
	}
	r := (&clusterDNS{client: b.Build()}).resolver("infra")
	cases := map[string][]string{
		"web":                          {"198.18.0.10"},
		"web.infra":                    {"198.18.0.10"},
		"web.infra.svc":                {"198.18.0.10"},
		"web.infra.svc.cluster.local":  {"198.18.0.10"},
		"web.infra.svc.cluster.local.": {"198.18.0.10"},
		"headless":                     {"198.18.4.1", "198.18.4.3"},
		"alias":                        {"198.18.0.10"},
		"198.18.9.9":                   {"198.18.9.9"},
	}
	for host, want := range cases {
		addrs, err := r.LookupNetIP(t.Context(), "ip", host)
		if err != nil {
			t.Errorf("LookupNetIP(%s): %v", host, err)
			continue
		}
		got := make([]string, 0, len(addrs))
		for _, a := range addrs {
			got = append(got, a.String())
		}
		if !slices.Equal(got, want) {
			t.Errorf("LookupNetIP(%s) = %v, want %v", host, got, want)
		}
	}
	for _, host := range []string{"outside", "missing", "example.com", "web.other.svc.cluster.local"} {
		_, err := r.LookupNetIP(t.Context(), "ip", host)
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
			t.Errorf("LookupNetIP(%s) error = %v, want not found", host, err)
		}
	}
	if _, err := r.LookupNetIP(t.Context(), "ip6", "web"); err == nil {
		t.Error("an IPv4 Service resolved for ip6")
	}
}

func TestNetworkLayout(t *testing.T) {
	n := &Network{block: blockAt(3), nextPod: offsetPods, nextLB: offsetLoadBalancers}
	if n.Block().String() != "198.18.48.0/20" {
		t.Errorf("block 3 = %s", n.Block())
	}
	if blockAt(31).String() != "198.19.240.0/20" {
		t.Errorf("block 31 = %s", blockAt(31))
	}
	if n.NodeIP().String() != "198.18.51.1" || n.ControlPlaneIP().String() != "198.18.51.2" {
		t.Errorf("node %s, control plane %s", n.NodeIP(), n.ControlPlaneIP())
	}
	if n.ServiceCIDR().String() != "198.18.48.0/23" {
		t.Errorf("service CIDR %s", n.ServiceCIDR())
	}
	a, _ := n.AllocatePodIP()
	b, _ := n.AllocatePodIP()
	lb, _ := n.AllocateLoadBalancerIP()
	if a.String() != "198.18.52.1" || b.String() != "198.18.52.2" || lb.String() != "198.18.50.1" {
		t.Errorf("allocations %s %s %s", a, b, lb)
	}
}

func TestStaticLoadBalancerIPs(t *testing.T) {
	n := &Network{block: blockAt(3), nextLB: offsetLoadBalancers, staticLBs: map[netip.Addr]string{}}
	static := n.StaticLoadBalancerIPs()
	if len(static) != 15 || static[0].String() != "198.18.50.240" || static[14].String() != "198.18.50.254" {
		t.Fatalf("static addresses %v", static)
	}
	tests := []struct {
		ip, owner string
		ok        bool
	}{
		{"198.18.50.240", "a", true},
		{"198.18.50.240", "a", true},  // again, same owner
		{"198.18.50.240", "b", false}, // taken
		{"198.18.50.241", "b", true},
		{"198.18.50.239", "b", false}, // handed out in turn, not static
		{"198.18.50.255", "b", false},
		{"192.0.2.1", "b", false},
	}
	for _, tt := range tests {
		err := n.ReserveLoadBalancerIP(netip.MustParseAddr(tt.ip), tt.owner)
		if (err == nil) != tt.ok {
			t.Errorf("Reserve(%s, %s) = %v, want ok %v", tt.ip, tt.owner, err, tt.ok)
		}
	}
	for range 300 {
		ip, err := n.AllocateLoadBalancerIP()
		if err != nil {
			break
		}
		if slices.Contains(static, ip) {
			t.Fatalf("allocated static address %s", ip)
		}
	}
}
