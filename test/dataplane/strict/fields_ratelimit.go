package strict

// Full names of the rate limit filters' packages.
const (
	localRateLimit  = "envoy.extensions.filters.http.local_ratelimit.v3."
	rateLimitFilter = "envoy.extensions.filters.http.ratelimit.v3."
	commonRateLimit = "envoy.extensions.common.ratelimit.v3."
)

// rateLimitFields are the implemented fields of the local and global rate
// limit HTTP filters (package ratelimit); their rate_limits actions are the
// router's.
var rateLimitFields = []Field{
	{Name: localRateLimit + "LocalRateLimit.stat_prefix"},
	{Name: localRateLimit + "LocalRateLimit.token_bucket"},
	{Name: localRateLimit + "LocalRateLimit.filter_enabled"},
	{Name: localRateLimit + "LocalRateLimit.filter_enforced"},
	{Name: localRateLimit + "LocalRateLimit.descriptors"},
	{Name: localRateLimit + "LocalRateLimit.rate_limits"},
	{Name: localRateLimit + "LocalRateLimit.always_consume_default_token_bucket"},
	{Name: localRateLimit + "LocalRateLimit.max_dynamic_descriptors"},
	{Name: commonRateLimit + "LocalRateLimitDescriptor.entries"},
	{Name: commonRateLimit + "LocalRateLimitDescriptor.token_bucket"},
	{Name: commonRateLimit + "RateLimitDescriptor.Entry.key"},
	{Name: commonRateLimit + "RateLimitDescriptor.Entry.value"},
	{Name: "envoy.type.v3.TokenBucket.max_tokens"},
	{Name: "envoy.type.v3.TokenBucket.tokens_per_fill"},
	{Name: "envoy.type.v3.TokenBucket.fill_interval"},

	{Name: rateLimitFilter + "RateLimit.domain"},
	{Name: rateLimitFilter + "RateLimit.timeout"},
	{Name: rateLimitFilter + "RateLimit.failure_mode_deny"},
	{Name: rateLimitFilter + "RateLimit.rate_limit_service"},
	{Name: rateLimitFilter + "RateLimit.stat_prefix"},
	{Name: "envoy.config.ratelimit.v3.RateLimitServiceConfig.grpc_service"},
	{Name: "envoy.config.ratelimit.v3.RateLimitServiceConfig.transport_api_version", Values: []string{"V3"}},
}
