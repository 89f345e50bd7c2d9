// Package server owns the xDS gRPC server the proxies connect to. It serves
// one snapshot per fleet, matched by the node's cluster field (the node id is
// free), over state-of-the-world and delta ADS, with versions derived from the
// content so an unchanged translation pushes nothing. UpdateEndpoints replaces
// only a fleet's ClusterLoadAssignments (endpoint churn), keeping every other
// type and its version, so only EDS is pushed. RDS, EDS and SDS watches are
// answered by its own partial cache (partialcache.go), which sends each
// stream only the resources it does not have, as their encoded bytes;
// listeners and clusters by go-control-plane's snapshot caches. It serves mutual TLS
// (TLS 1.3, client certificates verified against a CA, reloaded when the files
// change) unless plaintext is asked for on a loopback address. The rate limit
// service (node id RateLimitNodeID, no cluster) is served its configuration,
// RateLimitConfig resources set with UpdateRateLimit, on the same server and
// with the same mTLS. NACKs are logged
// with their error detail and counted, as are pushes, snapshot updates and
// connected proxies.
//
// It tracks, per fleet and per connected proxy (xDS stream, with its node
// id), the version of each type last sent, ACKed and NACKed, with the
// NACK's error_detail and the resources (and routes) it names; FleetStatus
// compares them with what the fleet serves now (Applied, Rejected or
// Pending per proxy), Options.OnProxyChange says when that may have
// changed, and envoy_gateway_xds_propagation_duration_seconds records the
// time from a configuration being set to the last connected proxy ACKing it.
// A NACKed version is not sent again to the proxy that rejected it (the
// snapshot cache would resend it at once, in a loop): the proxy gets the
// next version.
package server
