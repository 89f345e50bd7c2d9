// Package ratelimit holds the end-to-end test of global rate limiting with
// the real Envoy Rate Limit Service (github.com/envoyproxy/ratelimit, built
// from the Go module proxy by hack/ratelimit-assets.sh) and a real Redis
// (Debian's redis-server): the resource translator turns an HTTPRoute with
// a RateLimitFilter into IR, the xDS runner serves the service its
// configuration over mTLS from our xDS server, the host infra manager runs
// the service as it does with the File provider, and gRPC ShouldRateLimit
// calls with the descriptors the translated routes produce must be answered
// OVER_LIMIT exactly after the limit.
//
// Through the Gateway: the test data plane (test/dataplane) runs the
// fleet's bootstrap as the host manager would run Envoy, gets its
// configuration from the same xDS server and asks the same service over its
// unix socket; the (limit+1)th request of a user is answered 429 and other
// users are not limited. The test logs the added latency of a rate-limited
// request (median of 200 requests, against a route without rate limits).
//
// Without the service binary or redis-server the test fails and says how to
// get them (`make ratelimit-assets`); `make test` prepares both.
package ratelimit
