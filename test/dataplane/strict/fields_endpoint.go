package strict

// endpointFields are the implemented fields of envoy.config.endpoint.v3.
var endpointFields = []Field{
	{Name: "envoy.config.endpoint.v3.ClusterLoadAssignment.cluster_name"},
	{Name: "envoy.config.endpoint.v3.ClusterLoadAssignment.endpoints"},
	{Name: "envoy.config.endpoint.v3.LocalityLbEndpoints.locality"},
	{Name: "envoy.config.endpoint.v3.LocalityLbEndpoints.lb_endpoints"},
	{Name: "envoy.config.endpoint.v3.LbEndpoint.endpoint"},
	{Name: "envoy.config.endpoint.v3.LbEndpoint.health_status",
		Values: []string{"UNKNOWN", "HEALTHY", "UNHEALTHY", "DRAINING", "TIMEOUT", "DEGRADED"}},
	{Name: "envoy.config.endpoint.v3.LbEndpoint.load_balancing_weight"},
	{Name: "envoy.config.endpoint.v3.Endpoint.address"},
}
