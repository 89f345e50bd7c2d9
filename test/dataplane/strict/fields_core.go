package strict

// coreFields are the implemented fields of envoy.config.core.v3 (beyond
// the header and data-source fields the router lists).
var coreFields = []Field{
	{Name: "envoy.config.core.v3.Node.id"},
	{Name: "envoy.config.core.v3.Node.cluster"},

	{Name: "envoy.config.core.v3.Address.socket_address"},
	{Name: "envoy.config.core.v3.Address.pipe"},
	{Name: "envoy.config.core.v3.Pipe.path"},
	{Name: "envoy.config.core.v3.SocketAddress.address"},
	{Name: "envoy.config.core.v3.SocketAddress.port_value"},
	{Name: "envoy.config.core.v3.SocketAddress.protocol", Values: []string{"TCP"}},

	{Name: "envoy.config.core.v3.ConfigSource.ads"},
	{Name: "envoy.config.core.v3.ConfigSource.resource_api_version", Values: []string{"V3"}},
	{Name: "envoy.config.core.v3.ConfigSource.initial_fetch_timeout"},
	{Name: "envoy.config.core.v3.ApiConfigSource.api_type", Values: []string{"GRPC"}},
	{Name: "envoy.config.core.v3.ApiConfigSource.transport_api_version", Values: []string{"V3"}},
	{Name: "envoy.config.core.v3.ApiConfigSource.grpc_services"},
	{Name: "envoy.config.core.v3.ApiConfigSource.set_node_on_first_message_only"},
	{Name: "envoy.config.core.v3.GrpcService.envoy_grpc"},
	{Name: "envoy.config.core.v3.GrpcService.EnvoyGrpc.cluster_name"},

	{Name: "envoy.config.core.v3.TransportSocket.name"},
	{Name: "envoy.config.core.v3.TransportSocket.typed_config"},

	{Name: "envoy.config.core.v3.DataSource.filename"},
	{Name: "envoy.config.core.v3.DataSource.inline_string"},

	{Name: "envoy.config.core.v3.Http2ProtocolOptions.connection_keepalive"},
	{Name: "envoy.config.core.v3.KeepaliveSettings.interval"},
	{Name: "envoy.config.core.v3.KeepaliveSettings.timeout"},

	{Name: "envoy.config.core.v3.Locality.region"},
	{Name: "envoy.config.core.v3.Locality.zone"},
	{Name: "envoy.config.core.v3.Locality.sub_zone"},
}
