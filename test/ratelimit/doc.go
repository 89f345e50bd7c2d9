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
// Without the service binary or redis-server the test fails and says how to
// get them (`make ratelimit-assets`); `make test` prepares both.
package ratelimit
