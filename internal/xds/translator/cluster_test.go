package translator

import (
	"testing"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// TestClustersShareTheirCommonParts checks that two clusters hold one copy
// of the parts every such cluster has (timeout, EDS configuration, HTTP/2
// options), and that those parts still say what each cluster needs.
func TestClustersShareTheirCommonParts(t *testing.T) {
	a := EDSCluster("service/ns/a/80", ir.AppProtocolHTTP2)
	b := EDSCluster("service/ns/b/80", ir.AppProtocolHTTP2)
	if a.GetConnectTimeout() != b.GetConnectTimeout() || a.GetEdsClusterConfig() != b.GetEdsClusterConfig() ||
		a.GetClusterDiscoveryType() != b.GetClusterDiscoveryType() ||
		a.GetTypedExtensionProtocolOptions()[httpProtocolOptionsKey] != b.GetTypedExtensionProtocolOptions()[httpProtocolOptionsKey] {
		t.Error("two EDS clusters hold copies of their common parts")
	}
	d := DNSCluster("dns", ir.AppProtocolHTTP1, []*ir.Endpoint{{Address: "example.com", Port: 80}})
	if d.GetConnectTimeout() != a.GetConnectTimeout() || d.GetTypedExtensionProtocolOptions() != nil {
		t.Error("a DNS cluster does not share the timeout, or has HTTP/2 options")
	}
	if a.GetConnectTimeout().AsDuration() != connectTimeout || a.GetEdsClusterConfig().GetEdsConfig().GetAds() == nil {
		t.Errorf("shared parts say %v, %v", a.GetConnectTimeout(), a.GetEdsClusterConfig())
	}
	if err := a.ValidateAll(); err != nil {
		t.Error(err)
	}
}
