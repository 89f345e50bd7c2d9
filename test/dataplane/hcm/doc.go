// Package hcm is the test data plane's HTTP connection manager
// (envoy.filters.network.http_connection_manager) with its HTTP filters:
// the router, whose decisions package router computes and this package
// executes, health_check (non-pass-through mode) and cors (cors.go).
//
// What a request goes through, in Envoy's order (ActiveStream::
// decodeHeaders, ConnectionManagerUtility, Router::Filter):
//
//   - codecs: HTTP/1.1; HTTP/2 over TLS when ALPN says h2; HTTP/2 with
//     prior knowledge (h2c) on plaintext; codec_type HTTP1/HTTP2 restrict
//     them. HTTP/1.0 is refused with 426 (accept_http_10 is false by
//     default), an upgrade request of a type not in upgrade_configs with
//     403; an allowed one (WebSocket) goes to the route's cluster once,
//     with its Upgrade and Connection headers, and a 101 answer turns the
//     connection into a byte stream both ways (upgrade.go);
//   - a target not starting with "/" is answered 404 ("OPTIONS *",
//     authority form), an absolute-form target becomes its path and host,
//     a fragment is refused with 400;
//   - path_with_escaped_slashes_action, normalize_path (RFC 3986 dot
//     segments and the percent-encoding rules of the URL library Envoy
//     vendors: unreserved characters decoded, others kept as written,
//     unsafe characters encoded, backslashes made slashes, NUL refused
//     with 400) and merge_slashes, in that order;
//   - request headers: hop-by-hop headers removed, TE kept only for
//     "trailers", a repeated or relative Referer removed; with
//     use_remote_address the peer (or, for a loopback peer, the proxy's
//     own address) appended to x-forwarded-for, x-forwarded-proto set
//     from the connection, x-envoy-external-address set and x-request-id
//     regenerated (since Envoy 1.36 no peer is internal unless
//     internal_address_config says so, and it is not implemented);
//     Envoy's internal x-envoy-* request headers removed;
//     x-forwarded-client-cert removed (forward_client_cert_details
//     SANITIZE);
//   - the health_check filter answers a matching request itself: 200
//     while the proxy is live, 503 otherwise, no body;
//   - the cors filter, for a route with a CORS policy
//     (typed_per_filter_config) and a request with an Origin: a preflight
//     (OPTIONS with access-control-request-method) from an allowed origin
//     is answered 200 with the allow-origin (the origin), -credentials,
//     -methods and -headers ("*" echoes what was asked), max-age and
//     expose-headers; other preflights go on to the route
//     (forward_not_matching_preflights); responses to requests from an
//     allowed origin get allow-origin, -credentials and expose-headers;
//   - the router: no route configuration or no route gives 404 without
//     body; a direct response or redirect is sent as the router built it;
//     a forward goes to the cluster (503 without body when the proxy has
//     no such cluster), to a host its load balancer picks (503 "no
//     healthy upstream" without one), under the route timeout (started
//     once the request body ended; 504 "upstream request timeout") and
//     the per-try timeout, retried per retry_on (5xx, gateway-error,
//     reset, connect-failure, retriable-4xx, refused-stream,
//     envoy-ratelimited) with Envoy's jittered back-off (25 ms base,
//     250 ms max); a failure before response headers is answered 503
//     (502 for a protocol error) with Envoy's "upstream connect error or
//     disconnect/reset before headers. [retried and the latest ]reset
//     reason: ..." body; after response headers the downstream stream is
//     reset. Mirrors are sent fire and forget with the route timeout;
//   - responses: hop-by-hop headers removed, date set, server: envoy
//     (server_header_transformation OVERWRITE),
//     x-envoy-upstream-service-time added unless suppress_envoy_headers,
//     the route's response header mutations applied (to local replies of
//     the route too); bodies and trailers are streamed.
//
// Where Go's net/http (the codecs here) differs from Envoy, on purpose or
// not, and is not worth emulating for the tests this package serves:
// header names are written in Go's canonical case (HTTP header names are
// case-insensitive); the request header limit is Go's count of 60 KiB
// (max_request_headers_kb's default) and there is no limit on the number
// of headers (Envoy: 100); "100 Continue" is sent when the body is first
// read rather than at once; HTTP/2's :scheme is not visible, so :scheme
// is taken from x-forwarded-proto or the connection; HTTP/2 flow control
// windows and SETTINGS are Go's; Go's transport may resend an idempotent
// request once on a fresh connection when a pooled one was closed under
// it. stream_idle_timeout (5 min in Envoy) is not implemented.
//
// per_connection_buffer_limit_bytes bounds the request body the router
// buffers for retries and mirrors (bodies up to the limit are read whole
// before the first attempt; larger ones are streamed and neither retried
// nor mirrored, as Envoy's router abandons them past its buffer limit).
// Otherwise bodies stream both ways with the sockets' own back-pressure,
// not Envoy's watermark buffers.
//
// Draining (a removed or replaced listener or filter chain) is Go's
// graceful shutdown: HTTP/1.1 connections close after their current
// response (idle ones at once), HTTP/2 ones get a GOAWAY at once rather
// than over Envoy's gradual drain; what is still open after --drain-time-s
// is closed.
package hcm
