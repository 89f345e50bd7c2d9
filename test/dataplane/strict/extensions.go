package strict

import (
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	healthcheckv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// Full names of the fields that hold typed configs.
const (
	networkFilterConfig  = "envoy.config.listener.v3.Filter.typed_config"
	listenerFilterConfig = "envoy.config.listener.v3.ListenerFilter.typed_config"
	httpFilterConfig     = hcm + "HttpFilter.typed_config"
	transportSocket      = "envoy.config.core.v3.TransportSocket.typed_config"
	protocolOptions      = "envoy.config.cluster.v3.Cluster.typed_extension_protocol_options"
	perFilterConfig      = "envoy.config.route.v3.Route.typed_per_filter_config"
)

// Canonical extension names.
const (
	HTTPConnectionManagerName = "envoy.filters.network.http_connection_manager"
	TCPProxyName              = "envoy.filters.network.tcp_proxy"
	RouterName                = "envoy.filters.http.router"
	HealthCheckName           = "envoy.filters.http.health_check"
	RateLimitName             = "envoy.filters.http.ratelimit"
	LocalRateLimitName        = "envoy.filters.http.local_ratelimit"
	CORSName                  = "envoy.filters.http.cors"
	TLSInspectorName          = "envoy.filters.listener.tls_inspector"
	TLSTransportSocketName    = "envoy.transport_sockets.tls"
	HTTPProtocolOptionsName   = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
)

// Extensions are the typed configs the data plane implements, where they
// are accepted, and the name they must carry.
var Extensions = []Extension{
	{Msg: &hcmv3.HttpConnectionManager{}, Name: HTTPConnectionManagerName, In: []string{networkFilterConfig}},
	{Msg: &tcpproxyv3.TcpProxy{}, Name: TCPProxyName, In: []string{networkFilterConfig}},
	{Msg: &routerv3.Router{}, Name: RouterName, In: []string{httpFilterConfig}},
	{Msg: &healthcheckv3.HealthCheck{}, Name: HealthCheckName, In: []string{httpFilterConfig}},
	{Msg: &ratelimitv3.RateLimit{}, Name: RateLimitName, In: []string{httpFilterConfig}},
	{Msg: &localratelimitv3.LocalRateLimit{}, Name: LocalRateLimitName, In: []string{httpFilterConfig, perFilterConfig}},
	{Msg: &corsv3.Cors{}, Name: CORSName, In: []string{httpFilterConfig}},
	{Msg: &corsv3.CorsPolicy{}, Name: CORSName, In: []string{perFilterConfig}},
	{Msg: &tlsinspectorv3.TlsInspector{}, Name: TLSInspectorName, In: []string{listenerFilterConfig}},
	{Msg: &tlsv3.UpstreamTlsContext{}, Name: TLSTransportSocketName, In: []string{transportSocket}},
	{Msg: &tlsv3.DownstreamTlsContext{}, Name: TLSTransportSocketName, In: []string{transportSocket}},
	{Msg: &httpv3.HttpProtocolOptions{}, Name: HTTPProtocolOptionsName, In: []string{protocolOptions}},
}
