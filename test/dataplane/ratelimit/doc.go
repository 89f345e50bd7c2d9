// Package ratelimit owns the test data plane's two rate limit HTTP
// filters, with Envoy's semantics:
//
//   - envoy.filters.http.local_ratelimit (Local): token buckets in the
//     proxy. The route's typed_per_filter_config replaces the filter's
//     own configuration. A configuration is enabled and enforced for the
//     fractions filter_enabled and filter_enforced give (0 % when unset).
//     The request's descriptors come from the configuration's own
//     rate_limits, else from the route's; each is matched to the
//     configured descriptors (an entry without value is a wildcard: one
//     bucket per distinct value, at most max_dynamic_descriptors of them,
//     20 by default, least recently used dropped); the matched buckets
//     are consumed from the slowest filling one and the first empty one
//     limits the request; the default bucket is consumed when nothing
//     matched or always_consume_default_token_bucket (true by default).
//     Buckets start full and refill continuously at tokens_per_fill per
//     fill_interval up to max_tokens (Envoy's atomic token bucket). A
//     limited request is answered with the status (429 by default) and
//     the body "local_rate_limited".
//   - envoy.filters.http.ratelimit (Global): for a request whose route
//     forwards to a cluster the proxy has, the descriptors of the route's
//     rate_limits are sent in one ShouldRateLimit call (domain, the gRPC
//     service's cluster, within timeout, 20 ms by default). OVER_LIMIT:
//     429 with x-envoy-ratelimited: true, the service's
//     response_headers_to_add and its raw_body; an error or a timeout: the
//     request goes on, or with failure_mode_deny is answered 500; OK: the
//     request goes on with the service's request_headers_to_add, and its
//     response gets the service's response_headers_to_add.
//
// Every other field of both filters is rejected by package strict, and
// Compile* check what Envoy checks when it creates the filters.
package ratelimit
