package host

import (
	"fmt"
	"net"
	"path/filepath"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"sigs.k8s.io/yaml"
)

// XdsClusterName is the bootstrap's static cluster of the xDS server.
const XdsClusterName = "xds_cluster"

// ClientTLS names the PEM files Envoy presents to, and verifies, the xDS
// server with (mutual TLS).
type ClientTLS struct {
	CertFile string
	KeyFile  string
	CAFile   string
}

// XdsTarget is where the proxies reach the xDS server.
type XdsTarget struct {
	// Host is an IP address or a DNS name.
	Host string
	Port uint32
	// TLS is nil for a plaintext connection.
	TLS *ClientTLS
}

// BootstrapOptions are the inputs of a fleet's bootstrap.
type BootstrapOptions struct {
	// Fleet is the fleet name, presented as the node cluster.
	Fleet string
	// NodeID identifies the proxy.
	NodeID string
	Xds    XdsTarget
}

// Bootstrap returns a fleet's Envoy bootstrap: LDS and CDS over ADS (gRPC,
// state of the world) to the xDS server, with the fleet as node cluster, and
// the admin interface on a loopback port chosen by Envoy (written to the
// file named by --admin-address-path). The result passes ValidateAll.
func Bootstrap(opts BootstrapOptions) (*bootstrapv3.Bootstrap, error) {
	xds, err := xdsCluster(opts.Xds)
	if err != nil {
		return nil, err
	}
	b := &bootstrapv3.Bootstrap{
		Node:  &corev3.Node{Id: opts.NodeID, Cluster: opts.Fleet},
		Admin: &bootstrapv3.Admin{Address: socketAddress("127.0.0.1", 0)},
		DynamicResources: &bootstrapv3.Bootstrap_DynamicResources{
			AdsConfig: &corev3.ApiConfigSource{
				ApiType:                   corev3.ApiConfigSource_GRPC,
				TransportApiVersion:       corev3.ApiVersion_V3,
				SetNodeOnFirstMessageOnly: true,
				GrpcServices: []*corev3.GrpcService{{
					TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
						EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: XdsClusterName},
					},
				}},
			},
			LdsConfig: adsSource(),
			CdsConfig: adsSource(),
		},
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{Clusters: []*clusterv3.Cluster{xds}},
	}
	if err := b.ValidateAll(); err != nil {
		return nil, fmt.Errorf("invalid bootstrap for fleet %q: %w", opts.Fleet, err)
	}
	return b, nil
}

// BootstrapYAML renders a bootstrap as YAML with sorted keys, so the same
// bootstrap always gives the same bytes.
func BootstrapYAML(b *bootstrapv3.Bootstrap) ([]byte, error) {
	js, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("marshalling bootstrap: %w", err)
	}
	return yaml.JSONToYAML(js)
}

func adsSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

// xdsCluster is the HTTP/2 cluster of the xDS server, plaintext or mutual TLS.
func xdsCluster(x XdsTarget) (*clusterv3.Cluster, error) {
	h2, err := anypb.New(&httpv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{
			ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
					Http2ProtocolOptions: &corev3.Http2ProtocolOptions{
						ConnectionKeepalive: &corev3.KeepaliveSettings{
							Interval: durationpb.New(30 * time.Second),
							Timeout:  durationpb.New(5 * time.Second),
						},
					},
				},
			},
		},
	})
	if err != nil {
		return nil, err
	}
	discovery := clusterv3.Cluster_STRICT_DNS
	if net.ParseIP(x.Host) != nil {
		discovery = clusterv3.Cluster_STATIC
	}
	c := &clusterv3.Cluster{
		Name:                 XdsClusterName,
		ConnectTimeout:       durationpb.New(5 * time.Second),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: discovery},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: XdsClusterName,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{
				LbEndpoints: []*endpointv3.LbEndpoint{{
					HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
						Endpoint: &endpointv3.Endpoint{Address: socketAddress(x.Host, x.Port)},
					},
				}},
			}},
		},
		TypedExtensionProtocolOptions: map[string]*anypb.Any{
			"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": h2,
		},
	}
	if x.TLS != nil {
		if c.TransportSocket, err = tlsTransportSocket(x); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// tlsTransportSocket presents the client certificate over TLS 1.3 and
// verifies the server's against the CA.
func tlsTransportSocket(x XdsTarget) (*corev3.TransportSocket, error) {
	ctx := &tlsv3.UpstreamTlsContext{
		CommonTlsContext: &tlsv3.CommonTlsContext{
			// Envoy's default maximum for clients is TLS 1.2, below the
			// minimum: without it no version is left to negotiate.
			TlsParams: &tlsv3.TlsParameters{
				TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_3,
				TlsMaximumProtocolVersion: tlsv3.TlsParameters_TLSv1_3,
			},
			TlsCertificates: []*tlsv3.TlsCertificate{{
				CertificateChain: fileSource(x.TLS.CertFile),
				PrivateKey:       fileSource(x.TLS.KeyFile),
			}},
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{
				ValidationContext: &tlsv3.CertificateValidationContext{TrustedCa: fileSource(x.TLS.CAFile)},
			},
		},
	}
	if net.ParseIP(x.Host) == nil {
		ctx.Sni = x.Host
	}
	a, err := anypb.New(proto.Message(ctx))
	if err != nil {
		return nil, err
	}
	return &corev3.TransportSocket{
		Name:       "envoy.transport_sockets.tls",
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a},
	}, nil
}

func socketAddress(host string, port uint32) *corev3.Address {
	return &corev3.Address{
		Address: &corev3.Address_SocketAddress{
			SocketAddress: &corev3.SocketAddress{
				Address:       host,
				PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
			},
		},
	}
}

func fileSource(name string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: name}}
}

// ClientTLSFor returns the proxies' client certificate files that go with
// the xDS server's certificate, in the layout `envoy-gateway certgen`
// writes: <dir>/server/tls.crt for the server, <dir>/client/{tls.crt,
// tls.key,ca.crt} for the proxies.
func ClientTLSFor(serverCertFile string) *ClientTLS {
	dir := filepath.Join(filepath.Dir(filepath.Dir(serverCertFile)), "client")
	return &ClientTLS{
		CertFile: filepath.Join(dir, "tls.crt"),
		KeyFile:  filepath.Join(dir, "tls.key"),
		CAFile:   filepath.Join(dir, "ca.crt"),
	}
}
