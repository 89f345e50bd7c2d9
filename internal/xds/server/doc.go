// Package server owns the xDS gRPC server the proxies connect to. It serves
// one snapshot per fleet, matched by the node's cluster field (the node id is
// free), over state-of-the-world and delta ADS, with versions derived from the
// content so an unchanged translation pushes nothing. UpdateEndpoints replaces
// only a fleet's ClusterLoadAssignments (endpoint churn), keeping every other
// type and its version, so only EDS is pushed. It serves mutual TLS
// (TLS 1.3, client certificates verified against a CA, reloaded when the files
// change) unless plaintext is asked for on a loopback address. The rate limit
// service (node id RateLimitNodeID, no cluster) is served its configuration,
// RateLimitConfig resources set with UpdateRateLimit, on the same server and
// with the same mTLS. NACKs are logged
// with their error detail and counted, as are pushes, snapshot updates and
// connected proxies.
package server
