package render

import (
	"fmt"
	"net"
	"path"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	healthcheckv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Where Envoy finds its files and what it listens on besides the fleet's
// listeners. AdminPort and ReadyPort are reserved: no listener may use them
// as its container port.
const (
	// BootstrapKey is the ConfigMap key, and file name, of the bootstrap.
	BootstrapKey = "envoy.yaml"
	// BootstrapDir is where the bootstrap ConfigMap is mounted.
	BootstrapDir = "/etc/envoy"
	// ClientCertDir is where the xDS client certificate Secret is mounted.
	ClientCertDir = "/certs/xds/client"
	// AdminAddress is the admin listener's address: loopback only.
	AdminAddress = "127.0.0.1"
	// AdminPort is the admin listener's port.
	AdminPort uint32 = 19000
	// ReadyPort is the port of the static readiness listener.
	ReadyPort uint32 = 19001
	// ReadyPath is the readiness path served on ReadyPort: 200 once Envoy
	// has initialized (its listeners only start after the first xDS fetch),
	// 503 while it drains or fails health checks.
	ReadyPath = "/ready"
	// XdsClusterName is the static cluster of the xDS server.
	XdsClusterName = "xds_cluster"
	// ReadyListenerName is the static readiness listener.
	ReadyListenerName = "envoy-ready"
)

// BootstrapPath is the path of the bootstrap file in the Envoy container.
var BootstrapPath = path.Join(BootstrapDir, BootstrapKey)

// Bootstrap returns the Envoy bootstrap of a fleet: node cluster = fleet
// name (the node id comes from the Pod name via --service-node), LDS and
// CDS over ADS (gRPC, state of the world) to the xDS Service with mutual TLS
// using the client certificate Secret, the admin interface on loopback only,
// and a readiness listener on ReadyPort. The result passes ValidateAll.
func Bootstrap(p *ir.ProxyInfra, opts Options) (*bootstrapv3.Bootstrap, error) {
	xds, err := xdsCluster(opts)
	if err != nil {
		return nil, err
	}
	ready, err := readyListener()
	if err != nil {
		return nil, err
	}
	b := &bootstrapv3.Bootstrap{
		Node: &corev3.Node{
			// Overridden by --service-node with the Pod name.
			Id:      ResourceName(p.Name),
			Cluster: p.Name,
		},
		Admin: &bootstrapv3.Admin{
			Address: socketAddress(AdminAddress, AdminPort),
		},
		DynamicResources: &bootstrapv3.Bootstrap_DynamicResources{
			AdsConfig: adsConfig(),
			LdsConfig: adsSource(),
			CdsConfig: adsSource(),
		},
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{
			Clusters:  []*clusterv3.Cluster{xds},
			Listeners: []*listenerv3.Listener{ready},
		},
	}
	if err := b.ValidateAll(); err != nil {
		return nil, fmt.Errorf("invalid bootstrap for fleet %q: %w", p.Name, err)
	}
	return b, nil
}

// BootstrapYAML renders the bootstrap as YAML with sorted keys, so the same
// bootstrap always gives the same bytes (protojson alone does not promise that).
func BootstrapYAML(b *bootstrapv3.Bootstrap) (string, error) {
	js, err := protojson.Marshal(b)
	if err != nil {
		return "", fmt.Errorf("marshalling bootstrap: %w", err)
	}
	out, err := yaml.JSONToYAML(js)
	if err != nil {
		return "", fmt.Errorf("converting bootstrap to yaml: %w", err)
	}
	return string(out), nil
}

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

func adsSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

// xdsCluster is the HTTP/2 cluster of the xDS server, over mutual TLS 1.3.
func xdsCluster(opts Options) (*clusterv3.Cluster, error) {
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
	tls, err := transportSocket(xdsTLSContext(opts))
	if err != nil {
		return nil, err
	}
	discovery := clusterv3.Cluster_STRICT_DNS
	if net.ParseIP(opts.XdsHost) != nil {
		discovery = clusterv3.Cluster_STATIC
	}
	return &clusterv3.Cluster{
		Name:                 XdsClusterName,
		ConnectTimeout:       durationpb.New(10 * time.Second),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: discovery},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: XdsClusterName,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{
				LbEndpoints: []*endpointv3.LbEndpoint{{
					HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
						Endpoint: &endpointv3.Endpoint{Address: socketAddress(opts.XdsHost, opts.XdsPort)},
					},
				}},
			}},
		},
		TypedExtensionProtocolOptions: map[string]*anypb.Any{
			"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": h2,
		},
		TransportSocket: tls,
	}, nil
}

// xdsTLSContext presents the client certificate and verifies the server
// against the CA of the client Secret (and XdsServerSAN when set).
func xdsTLSContext(opts Options) *tlsv3.UpstreamTlsContext {
	validation := &tlsv3.CertificateValidationContext{
		TrustedCa: fileSource(path.Join(ClientCertDir, "ca.crt")),
	}
	if opts.XdsServerSAN != "" {
		validation.MatchTypedSubjectAltNames = []*tlsv3.SubjectAltNameMatcher{{
			SanType: tlsv3.SubjectAltNameMatcher_DNS,
			Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: opts.XdsServerSAN}},
		}}
	}
	ctx := &tlsv3.UpstreamTlsContext{
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsParams: &tlsv3.TlsParameters{
				TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_3,
				TlsMaximumProtocolVersion: tlsv3.TlsParameters_TLSv1_3,
			},
			TlsCertificates: []*tlsv3.TlsCertificate{{
				CertificateChain: fileSource(path.Join(ClientCertDir, "tls.crt")),
				PrivateKey:       fileSource(path.Join(ClientCertDir, "tls.key")),
			}},
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: validation},
		},
	}
	if net.ParseIP(opts.XdsHost) == nil {
		ctx.Sni = opts.XdsHost
	}
	return ctx
}

// readyListener answers ReadyPath with Envoy's health_check filter (not
// pass-through): 200 while the server is live, 503 while it drains.
func readyListener() (*listenerv3.Listener, error) {
	health, err := anypb.New(&healthcheckv3.HealthCheck{
		PassThroughMode: wrapperspb.Bool(false),
		Headers: []*routev3.HeaderMatcher{{
			Name: ":path",
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{
				StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: ReadyPath}},
			},
		}},
	})
	if err != nil {
		return nil, err
	}
	router, err := anypb.New(&routerv3.Router{})
	if err != nil {
		return nil, err
	}
	hcm, err := anypb.New(&hcmv3.HttpConnectionManager{
		StatPrefix: "envoy_ready",
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{
			RouteConfig: &routev3.RouteConfiguration{Name: "envoy_ready"},
		},
		HttpFilters: []*hcmv3.HttpFilter{
			{Name: "envoy.filters.http.health_check", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: health}},
			{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: router}},
		},
	})
	if err != nil {
		return nil, err
	}
	return &listenerv3.Listener{
		Name:    ReadyListenerName,
		Address: socketAddress("0.0.0.0", ReadyPort),
		FilterChains: []*listenerv3.FilterChain{{
			Filters: []*listenerv3.Filter{{
				Name:       "envoy.filters.network.http_connection_manager",
				ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: hcm},
			}},
		}},
	}, nil
}

func transportSocket(m proto.Message) (*corev3.TransportSocket, error) {
	a, err := anypb.New(m)
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
