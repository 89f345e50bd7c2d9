package router

import (
	"net/netip"
	"time"
)

// Rand is the source of the per-request random value (math/rand/v2's
// *rand.Rand satisfies it). Route draws exactly one value per call: Envoy
// uses one stable random value per stream (the stream id) for route
// runtime_fraction matching, the weighted cluster pick and the mirror
// runtime fractions alike.
type Rand interface {
	Uint64() uint64
}

// Request is what Envoy's router sees once the HTTP connection manager has
// normalized a downstream request.
type Request struct {
	// Method is :method.
	Method string
	// Authority is :authority (the HTTP/1 Host header), as received.
	Authority string
	// Path is :path, query string included.
	Path string
	// Scheme is :scheme ("http" or "https").
	Scheme string
	// Headers are the regular request headers, lower-case names. They must
	// include x-forwarded-proto as the connection manager sets it: Envoy's
	// router finds no route for a request without it, and redirects use it
	// to decide whether the Host port is the scheme's default.
	Headers Headers
	// SuppressEnvoyHeaders is the router filter's suppress_envoy_headers:
	// when false (the default) the router adds x-envoy-original-path,
	// x-envoy-original-host and x-envoy-expected-rq-timeout-ms upstream.
	SuppressEnvoyHeaders bool
	// RemoteAddress is the downstream remote address as the connection
	// manager determined it (the peer's with use_remote_address, else the
	// last x-forwarded-for address): what the rate limit actions
	// remote_address and masked_remote_address read.
	RemoteAddress netip.Addr
}

// Decision is what to do with a request: exactly one of Direct and Forward
// is set.
type Decision struct {
	// VirtualHost is the name of the selected virtual host ("" when none).
	VirtualHost string
	// RouteName is the name of the matched route ("" when none).
	RouteName string
	// Direct is a response sent without contacting an upstream: a
	// redirect, a direct_response, or 404 when no virtual host or route
	// matches.
	Direct *DirectResponse
	// Forward sends the request to a cluster.
	Forward *Forward
	// PerFilter holds the matched route's typed_per_filter_config,
	// compiled by CompileOptions.PerFilterConfig, by filter name.
	PerFilter map[string]any
	// CORS is the matched route's CORS policy, for the CORS filter; nil
	// when the route has none.
	CORS *CORSPolicy
}

// DirectResponse is a locally generated response, as Envoy's
// sendLocalReply builds it: the status, the headers the route adds
// (Location for redirects, then response_headers_to_add/remove of the
// route, virtual host and route configuration) and content-type text/plain
// when the body is not empty and no header set one. The connection manager
// adds content-length, date and server as it does for every response, and
// sends no body to a HEAD request.
type DirectResponse struct {
	Status  int
	Headers Headers
	Body    []byte
}

// Forward sends a request upstream.
type Forward struct {
	// Cluster is the selected cluster. The route configuration does not
	// know the clusters (validate_clusters is false): when the proxy has no
	// such cluster it answers ClusterNotFoundStatus (503 unless the route
	// says NOT_FOUND) with an empty body.
	Cluster               string
	ClusterNotFoundStatus int
	// The upstream request after every rewrite and header mutation.
	Method    string
	Authority string
	Path      string
	Scheme    string
	Headers   Headers
	// MutateResponse applies the response header mutations of the weighted
	// cluster, route, virtual host and route configuration, in Envoy's
	// order, to the headers of the response sent downstream (upstream
	// responses and the router's own local replies for this route).
	MutateResponse func(Headers)
	// Timeout is the global route timeout (0: none); PerTryTimeout is the
	// timeout of each attempt (0: none).
	Timeout       time.Duration
	PerTryTimeout time.Duration
	// Retry is the retry policy (route's, else virtual host's), nil when
	// neither has one.
	Retry *RetryPolicy
	// Mirrors are the shadow requests to send for this request.
	Mirrors []Mirror
	// RateLimits are the route action's rate_limits.
	RateLimits []*RateLimitPolicy
}

// Mirror is one shadow copy of the forwarded request: same method, path
// and headers, sent to Cluster with Authority (the forwarded authority
// with "-shadow" appended to the host unless the policy disables it). Its
// response is discarded; a cluster the proxy does not have is skipped.
type Mirror struct {
	Cluster   string
	Authority string
}

// RetryPolicy is a route's retry policy. A policy without RetryOn
// conditions never retries (Envoy creates no retry state); it may still
// carry the per-try timeout (Forward.PerTryTimeout). The request headers
// that adjust retries (x-envoy-retry-on, x-envoy-retry-grpc-on,
// x-envoy-max-retries) are not merged here; the connection manager strips
// them from external requests.
type RetryPolicy struct {
	// RetryOn holds the recognized retry_on conditions ("5xx",
	// "gateway-error", "reset", "connect-failure", ...). Envoy ignores
	// unknown names; Ignored lists them.
	RetryOn []string
	Ignored []string
	// NumRetries defaults to 1 when the policy exists.
	NumRetries uint32
	// RetriableStatusCodes are retried under "retriable-status-codes".
	RetriableStatusCodes []uint32
	// BaseInterval and MaxInterval bound the jittered exponential
	// back-off: 25 ms and 10 x BaseInterval unless retry_back_off sets
	// them.
	BaseInterval, MaxInterval time.Duration
}
