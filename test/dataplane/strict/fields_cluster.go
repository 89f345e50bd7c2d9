package strict

// clusterFields are the implemented fields of envoy.config.cluster.v3.
var clusterFields = []Field{
	{Name: "envoy.config.cluster.v3.Cluster.name"},
	{Name: "envoy.config.cluster.v3.Cluster.type", Values: []string{"STATIC", "STRICT_DNS", "EDS"}},
	{Name: "envoy.config.cluster.v3.Cluster.eds_cluster_config"},
	{Name: "envoy.config.cluster.v3.Cluster.connect_timeout"},
	{Name: "envoy.config.cluster.v3.Cluster.lb_policy", Values: []string{"ROUND_ROBIN"}},
	{Name: "envoy.config.cluster.v3.Cluster.load_assignment"},
	{Name: "envoy.config.cluster.v3.Cluster.dns_lookup_family",
		Values: []string{"AUTO", "V4_ONLY", "V6_ONLY", "V4_PREFERRED", "ALL"}},
	{Name: "envoy.config.cluster.v3.Cluster.transport_socket"},
	{Name: "envoy.config.cluster.v3.Cluster.typed_extension_protocol_options"},
	{Name: "envoy.config.cluster.v3.Cluster.EdsClusterConfig.eds_config"},
	{Name: "envoy.config.cluster.v3.Cluster.EdsClusterConfig.service_name"},
}
