package strict

// listenerFields are the implemented fields of envoy.config.listener.v3.
var listenerFields = []Field{
	{Name: "envoy.config.listener.v3.Listener.name"},
	{Name: "envoy.config.listener.v3.Listener.address"},
	{Name: "envoy.config.listener.v3.Listener.filter_chains"},
	{Name: "envoy.config.listener.v3.Listener.default_filter_chain"},
	{Name: "envoy.config.listener.v3.Listener.listener_filters"},
	{Name: "envoy.config.listener.v3.Listener.per_connection_buffer_limit_bytes"},
	{Name: "envoy.config.listener.v3.FilterChain.name"},
	{Name: "envoy.config.listener.v3.FilterChain.filter_chain_match"},
	{Name: "envoy.config.listener.v3.FilterChain.filters"},
	{Name: "envoy.config.listener.v3.FilterChain.transport_socket"},
	{Name: "envoy.config.listener.v3.FilterChainMatch.destination_port"},
	{Name: "envoy.config.listener.v3.FilterChainMatch.server_names"},
	{Name: "envoy.config.listener.v3.FilterChainMatch.transport_protocol"},
	{Name: "envoy.config.listener.v3.FilterChainMatch.application_protocols"},
	{Name: "envoy.config.listener.v3.Filter.name"},
	{Name: "envoy.config.listener.v3.Filter.typed_config"},
	{Name: "envoy.config.listener.v3.ListenerFilter.name"},
	{Name: "envoy.config.listener.v3.ListenerFilter.typed_config"},
}
