package strict_test

import (
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	buffer "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
)

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// listener is a listener with one HCM filter chain using hcm.
func listener(t *testing.T, hcm *hcmv3.HttpConnectionManager) *listenerv3.Listener {
	t.Helper()
	return &listenerv3.Listener{
		Name: "l",
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: "0.0.0.0", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 8080},
		}}},
		FilterChains: []*listenerv3.FilterChain{{
			Name: "a",
		}, {
			Name: "b",
			Filters: []*listenerv3.Filter{{
				Name:       strict.HTTPConnectionManagerName,
				ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(t, hcm)},
			}},
		}},
	}
}

func hcmWith(t *testing.T, filters ...*hcmv3.HttpFilter) *hcmv3.HttpConnectionManager {
	t.Helper()
	return &hcmv3.HttpConnectionManager{
		StatPrefix: "s",
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			RouteConfigName: "r",
			ConfigSource: &corev3.ConfigSource{
				ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
				ResourceApiVersion:    corev3.ApiVersion_V3,
			},
		}},
		HttpFilters: filters,
	}
}

func httpFilter(t *testing.T, name string, m proto.Message) *hcmv3.HttpFilter {
	t.Helper()
	return &hcmv3.HttpFilter{Name: name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(t, m)}}
}

const hcmPath = "filter_chains[1].filters[0].typed_config.(envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager)"

func TestCheck(t *testing.T) {
	router := httpFilter(t, strict.RouterName, &routerv3.Router{})
	withUnknown := listener(t, hcmWith(t, router))
	withUnknown.ProtoReflect().SetUnknown(protowire.AppendTag(nil, 999, protowire.VarintType))
	withUnknown.ProtoReflect().SetUnknown(protowire.AppendVarint(withUnknown.ProtoReflect().GetUnknown(), 1))

	innerUnknown := &routerv3.Router{}
	innerUnknown.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 999, protowire.VarintType), 1))

	tests := []struct {
		name    string
		msg     proto.Message
		wantErr string // "" means accepted
	}{
		{"implemented listener", listener(t, hcmWith(t, router)), ""},
		{
			"field not implemented",
			&clusterv3.Cluster{Name: "c", CleanupInterval: durationpb.New(1)},
			"cleanup_interval: field envoy.config.cluster.v3.Cluster.cleanup_interval is not implemented",
		},
		{
			"nested field not implemented",
			listener(t, func() *hcmv3.HttpConnectionManager {
				h := hcmWith(t, router)
				h.GenerateRequestId = wrapperspb.Bool(false)
				return h
			}()),
			hcmPath + ".generate_request_id: field",
		},
		{
			"unknown HTTP filter type",
			listener(t, hcmWith(t, httpFilter(t, "envoy.filters.http.buffer", &buffer.Buffer{}), router)),
			hcmPath + ".http_filters[0].typed_config: type type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer is not implemented",
		},
		{
			"filter name not the extension's",
			listener(t, hcmWith(t, httpFilter(t, "my-router", &routerv3.Router{}))),
			hcmPath + `.http_filters[0].typed_config: name "my-router" is not implemented`,
		},
		{
			"type in the wrong place",
			listener(t, hcmWith(t, httpFilter(t, strict.TCPProxyName, &tcpproxyv3.TcpProxy{}))),
			"is not implemented by the test data plane here",
		},
		{
			"unknown fields",
			withUnknown,
			"(envoy.config.listener.v3.Listener): unknown fields",
		},
		{
			"unknown fields inside a typed config",
			listener(t, hcmWith(t, httpFilter(t, strict.RouterName, innerUnknown))),
			hcmPath + ".http_filters[0].typed_config.(envoy.extensions.filters.http.router.v3.Router): unknown fields",
		},
		{
			"enum value not implemented",
			&clusterv3.Cluster{Name: "c", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_LOGICAL_DNS}},
			"type: value LOGICAL_DNS is not implemented by the test data plane (implemented: STATIC, STRICT_DNS, EDS)",
		},
		{
			"protocol options key",
			&clusterv3.Cluster{Name: "c", TypedExtensionProtocolOptions: map[string]*anypb.Any{
				"envoy.upstreams.http.http_protocol_options": mustAny(t, &httpv3.HttpProtocolOptions{}),
			}},
			`typed_extension_protocol_options["envoy.upstreams.http.http_protocol_options"]: key`,
		},
		{
			"route fields come from the router's table",
			&routev3.RouteConfiguration{Name: "r", VirtualHosts: []*routev3.VirtualHost{{
				Name: "v", Domains: []string{"*"}, IncludeRequestAttemptCount: true,
			}}},
			"virtual_hosts[0].include_request_attempt_count: field",
		},
		{
			"durations are walked",
			&clusterv3.Cluster{Name: "c", ConnectTimeout: durationpb.New(1)},
			"",
		},
		{
			"transport socket",
			&clusterv3.Cluster{Name: "c", TransportSocket: &corev3.TransportSocket{
				Name:       strict.TLSTransportSocketName,
				ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(t, &tlsv3.UpstreamTlsContext{Sni: "x", AllowRenegotiation: true})},
			}},
			"transport_socket.typed_config.(envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext).allow_renegotiation",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := strict.Check(tt.msg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Check accepted it, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Check error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateLooksInsideAny(t *testing.T) {
	// stat_prefix is required (min_len 1) inside the HCM.
	l := listener(t, &hcmv3.HttpConnectionManager{})
	err := strict.Validate(l)
	if err == nil || !strings.Contains(err.Error(), "StatPrefix") {
		t.Fatalf("Validate = %v, want the HCM's missing stat_prefix", err)
	}
}

func TestFieldsTable(t *testing.T) {
	fields := strict.Fields()
	if len(fields) < 150 {
		t.Fatalf("only %d fields", len(fields))
	}
	for i := 1; i < len(fields); i++ {
		if fields[i-1].Name >= fields[i].Name {
			t.Fatalf("Fields not sorted or duplicated at %s", fields[i].Name)
		}
	}
	if !strict.Implemented("envoy.config.route.v3.RouteAction.cluster") {
		t.Error("the router's fields are not merged")
	}
	if strict.Implemented("envoy.config.cluster.v3.Cluster.cleanup_interval") {
		t.Error("cleanup_interval reported implemented")
	}
}
