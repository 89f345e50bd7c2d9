// Package tcpproxy is the test data plane's tcp_proxy network filter:
// each downstream connection goes to one cluster (cluster, or one of
// weighted_clusters picked at random by weight, as Envoy picks per
// connection), to a host chosen by the cluster's load balancer, and bytes
// are copied both ways with half-close passed through. When the cluster
// is unknown, has no host or the connect fails, the downstream
// connection is closed, as Envoy does. idle_timeout (1 h by default in
// Envoy) and connect retries are not implemented.
package tcpproxy
