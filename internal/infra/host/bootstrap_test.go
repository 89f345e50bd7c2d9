package host

import (
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/envoygw/envoy-gateway/internal/infra/bootstrap"
)

func TestBootstrapPlaintext(t *testing.T) {
	b, err := Bootstrap(BootstrapOptions{Fleet: "default/eg", NodeID: "default/eg/host",
		Xds: XdsTarget{Host: "127.0.0.1", Port: 18000}})
	if err != nil {
		t.Fatal(err)
	}
	if b.GetNode().GetCluster() != "default/eg" {
		t.Errorf("node cluster = %q", b.GetNode().GetCluster())
	}
	xds := b.GetStaticResources().GetClusters()[0]
	if xds.GetType() != clusterv3.Cluster_STATIC || xds.GetTransportSocket() != nil {
		t.Errorf("plaintext xds cluster: type %v, transport socket %v", xds.GetType(), xds.GetTransportSocket())
	}
	y, err := bootstrap.YAML(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cluster: default/eg", "portValue: 18000", "ads: {}"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("bootstrap YAML lacks %q:\n%s", want, y)
		}
	}
}

func TestBootstrapMutualTLS(t *testing.T) {
	b, err := Bootstrap(BootstrapOptions{Fleet: "eg", NodeID: "eg/host", Xds: XdsTarget{
		Host: "envoy-gateway.example", Port: 18000,
		TLS: &ClientTLS{CertFile: "/c/tls.crt", KeyFile: "/c/tls.key", CAFile: "/c/ca.crt"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	xds := b.GetStaticResources().GetClusters()[0]
	if xds.GetType() != clusterv3.Cluster_STRICT_DNS {
		t.Errorf("xds cluster type = %v, want STRICT_DNS for a host name", xds.GetType())
	}
	ctx := &tlsv3.UpstreamTlsContext{}
	if err := xds.GetTransportSocket().GetTypedConfig().UnmarshalTo(ctx); err != nil {
		t.Fatal(err)
	}
	common := ctx.GetCommonTlsContext()
	if ctx.GetSni() != "envoy-gateway.example" ||
		common.GetTlsCertificates()[0].GetCertificateChain().GetFilename() != "/c/tls.crt" ||
		common.GetTlsCertificates()[0].GetPrivateKey().GetFilename() != "/c/tls.key" ||
		common.GetValidationContext().GetTrustedCa().GetFilename() != "/c/ca.crt" ||
		common.GetTlsParams().GetTlsMaximumProtocolVersion() != tlsv3.TlsParameters_TLSv1_3 {
		t.Errorf("unexpected TLS context: %v", ctx)
	}
}
