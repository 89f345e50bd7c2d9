package bootstrap

import (
	"net"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// adsConfig is the gRPC ADS stream to the xDS cluster.
func adsConfig() *corev3.ApiConfigSource {
	return &corev3.ApiConfigSource{
		ApiType:                   corev3.ApiConfigSource_GRPC,
		TransportApiVersion:       corev3.ApiVersion_V3,
		SetNodeOnFirstMessageOnly: true,
		GrpcServices: []*corev3.GrpcService{{
			TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
				EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: XdsClusterName},
			},
		}},
	}
}

// adsSource fetches a resource type over ADS.
func adsSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

// xdsCluster is the HTTP/2 cluster of the xDS server: STATIC for an IP
// address, STRICT_DNS for a name, plaintext or mutual TLS.
func xdsCluster(x Xds) (*clusterv3.Cluster, error) {
	h2, err := anypb.New(http2Options())
	if err != nil {
		return nil, err
	}
	discovery := clusterv3.Cluster_STRICT_DNS
	if isIP(x.Host) {
		discovery = clusterv3.Cluster_STATIC
	}
	c := &clusterv3.Cluster{
		Name:                 XdsClusterName,
		ConnectTimeout:       durationpb.New(x.ConnectTimeout),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: discovery},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: XdsClusterName,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{
				LbEndpoints: []*endpointv3.LbEndpoint{{
					HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
						Endpoint: &endpointv3.Endpoint{Address: socketAddress(Address{Host: x.Host, Port: x.Port})},
					},
				}},
			}},
		},
		TypedExtensionProtocolOptions: map[string]*anypb.Any{
			"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": h2,
		},
	}
	if x.TLS != nil {
		if c.TransportSocket, err = tlsTransportSocket(upstreamTLS(x.Host, *x.TLS)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// The HTTP/2 receive windows Envoy advertises to the xDS server: the
// xds_cluster's Http2ProtocolOptions set no initial_stream_window_size or
// initial_connection_window_size, so Envoy's defaults (16 MiB, 24 MiB)
// hold. Clients standing in for Envoy in tests and benchmarks advertise
// the same: with gRPC-Go's default (64 KiB, grown by bandwidth-delay
// estimates that stay small on a loopback) the server stops for a window
// update many times in a response of megabytes.
const (
	EnvoyStreamWindowBytes     = 16 << 20
	EnvoyConnectionWindowBytes = 24 << 20
)

// http2Options speaks HTTP/2 (gRPC) to the xDS server with keepalive pings.
func http2Options() *httpv3.HttpProtocolOptions {
	return &httpv3.HttpProtocolOptions{
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
	}
}

// upstreamTLS presents the client certificate over TLS 1.3 and verifies the
// server's against the CA (and ServerSAN when set); a DNS host is the SNI.
// The maximum version must be set: Envoy's default for clients is TLS 1.2,
// below the minimum.
func upstreamTLS(host string, t ClientTLS) *tlsv3.UpstreamTlsContext {
	validation := &tlsv3.CertificateValidationContext{TrustedCa: fileSource(t.CAFile)}
	if t.ServerSAN != "" {
		validation.MatchTypedSubjectAltNames = []*tlsv3.SubjectAltNameMatcher{{
			SanType: tlsv3.SubjectAltNameMatcher_DNS,
			Matcher: exact(t.ServerSAN),
		}}
	}
	ctx := &tlsv3.UpstreamTlsContext{
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsParams: &tlsv3.TlsParameters{
				TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_3,
				TlsMaximumProtocolVersion: tlsv3.TlsParameters_TLSv1_3,
			},
			TlsCertificates: []*tlsv3.TlsCertificate{{
				CertificateChain: fileSource(t.CertFile),
				PrivateKey:       fileSource(t.KeyFile),
			}},
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: validation},
		},
	}
	if !isIP(host) {
		ctx.Sni = host
	}
	return ctx
}

func tlsTransportSocket(ctx *tlsv3.UpstreamTlsContext) (*corev3.TransportSocket, error) {
	a, err := anypb.New(ctx)
	if err != nil {
		return nil, err
	}
	return &corev3.TransportSocket{
		Name:       "envoy.transport_sockets.tls",
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a},
	}, nil
}

func socketAddress(a Address) *corev3.Address {
	return &corev3.Address{
		Address: &corev3.Address_SocketAddress{
			SocketAddress: &corev3.SocketAddress{
				Address:       a.Host,
				PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: a.Port},
			},
		},
	}
}

func fileSource(name string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: name}}
}

func exact(s string) *matcherv3.StringMatcher {
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s}}
}

func isIP(host string) bool { return net.ParseIP(host) != nil }
