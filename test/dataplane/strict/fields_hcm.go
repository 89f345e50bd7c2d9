package strict

// hcmFields are the implemented fields of the HTTP connection manager
// (envoy.extensions.filters.network.http_connection_manager.v3).
var hcmFields = []Field{
	{Name: hcm + "HttpConnectionManager.codec_type", Values: []string{"AUTO", "HTTP1", "HTTP2"}},
	{Name: hcm + "HttpConnectionManager.stat_prefix"},
	{Name: hcm + "HttpConnectionManager.rds"},
	{Name: hcm + "HttpConnectionManager.route_config"},
	{Name: hcm + "HttpConnectionManager.http_filters"},
	{Name: hcm + "HttpConnectionManager.upgrade_configs"},
	{Name: hcm + "HttpConnectionManager.UpgradeConfig.upgrade_type"},
	{Name: hcm + "HttpConnectionManager.use_remote_address"},
	{Name: hcm + "HttpConnectionManager.normalize_path"},
	{Name: hcm + "HttpConnectionManager.merge_slashes"},
	{Name: hcm + "HttpConnectionManager.path_with_escaped_slashes_action", Values: []string{
		"IMPLEMENTATION_SPECIFIC_DEFAULT", "KEEP_UNCHANGED", "REJECT_REQUEST",
		"UNESCAPE_AND_REDIRECT", "UNESCAPE_AND_FORWARD",
	}},
	{Name: hcm + "Rds.config_source"},
	{Name: hcm + "Rds.route_config_name"},
	{Name: hcm + "HttpFilter.name"},
	{Name: hcm + "HttpFilter.typed_config"},
}

const hcm = "envoy.extensions.filters.network.http_connection_manager.v3."

// httpFilterFields are the implemented fields of the HTTP filters: the
// router and health_check.
var httpFilterFields = []Field{
	{Name: "envoy.extensions.filters.http.router.v3.Router.suppress_envoy_headers"},
	{Name: "envoy.extensions.filters.http.health_check.v3.HealthCheck.pass_through_mode"},
	{Name: "envoy.extensions.filters.http.health_check.v3.HealthCheck.headers"},
}

// tcpProxyFields are the implemented fields of tcp_proxy.
var tcpProxyFields = []Field{
	{Name: tcpProxy + "TcpProxy.stat_prefix"},
	{Name: tcpProxy + "TcpProxy.cluster"},
	{Name: tcpProxy + "TcpProxy.weighted_clusters"},
	{Name: tcpProxy + "TcpProxy.WeightedCluster.clusters"},
	{Name: tcpProxy + "TcpProxy.WeightedCluster.ClusterWeight.name"},
	{Name: tcpProxy + "TcpProxy.WeightedCluster.ClusterWeight.weight"},
}

const tcpProxy = "envoy.extensions.filters.network.tcp_proxy.v3."
