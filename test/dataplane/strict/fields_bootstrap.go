package strict

// bootstrapFields are the implemented fields of envoy.config.bootstrap.v3:
// the node, the admin address, the static listeners and clusters, and
// LDS/CDS over a gRPC ADS stream.
var bootstrapFields = []Field{
	{Name: "envoy.config.bootstrap.v3.Bootstrap.node"},
	{Name: "envoy.config.bootstrap.v3.Bootstrap.static_resources"},
	{Name: "envoy.config.bootstrap.v3.Bootstrap.dynamic_resources"},
	{Name: "envoy.config.bootstrap.v3.Bootstrap.admin"},
	{Name: "envoy.config.bootstrap.v3.Bootstrap.StaticResources.listeners"},
	{Name: "envoy.config.bootstrap.v3.Bootstrap.StaticResources.clusters"},
	{Name: "envoy.config.bootstrap.v3.Bootstrap.DynamicResources.lds_config"},
	{Name: "envoy.config.bootstrap.v3.Bootstrap.DynamicResources.cds_config"},
	{Name: "envoy.config.bootstrap.v3.Bootstrap.DynamicResources.ads_config"},
	{Name: "envoy.config.bootstrap.v3.Admin.address"},
}
