// Package router implements the semantics of an Envoy RouteConfiguration
// (the RDS resource) as pure functions: given a validated route table and a
// downstream request, it selects the virtual host and the route and says
// what to do (forward to a cluster with a rewritten request and retry /
// timeout / mirror policies, or answer directly: redirect, direct response,
// 404). It does no I/O; the data plane's HTTP connection manager executes
// the decision.
//
// The reference is Envoy 1.40 (the API of go-control-plane/envoy v1.40.0):
// the proto doc comments, and Envoy's source where they are silent
// (router/config_impl.cc, header_parser.cc, http/utility.cc, ...). Each
// function says which Envoy behaviour it reproduces.
//
// Contract with the rest of the data plane (package dataplane):
//
//	// Compile validates rc against Envoy's semantics and the strict field
//	// table and returns a table ready to route, or an error naming the
//	// field path (the data plane NACKs the RDS response with it).
//	func Compile(rc *routev3.RouteConfiguration) (*Table, error)
//
//	// Route decides what to do with req; rnd gives the request's random
//	// value (math/rand/v2 compatible).
//	func (t *Table) Route(req *Request, rnd Rand) *Decision
//
// Request carries what Envoy's router sees after the HTTP connection
// manager: :method, :authority, :path (with query), :scheme, the regular
// request headers (lower-case names; x-forwarded-proto must be there, as the
// connection manager sets it) and the router filter's
// suppress_envoy_headers. Decision is either Direct (status, headers, body:
// redirects, direct_response, 404 when no virtual host or route matches) or
// Forward: the cluster (and the status to answer when the proxy has no
// such cluster), the upstream request (method, authority, path, scheme,
// headers after every rewrite and request_headers_to_add/remove level), a
// function applying the response header mutations of every level, the
// timeouts, the retry policy and the mirrors selected for this request.
//
// What Compile checks and what it rejects:
//
//   - every field set must be in ImplementedFields (listed by full proto
//     name; package strict merges it into the data plane's table); any
//     other field, and unknown fields, are rejected with their path, e.g.
//     "virtual_hosts[0].routes[3].route.hash_policy: not implemented by the
//     test data plane";
//   - the protoc-gen-validate rules Envoy applies to every resource;
//   - what Envoy checks while building the route table: unique domains and
//     a single "*", regexes, pseudo-header and host mutations, append with
//     append_action, header values (substitution format strings: only
//     literal text and "%%" are implemented, a command like %REQ(x)% is
//     rejected as not implemented, a lone "%" as invalid), weights, one of
//     prefix_rewrite/regex_rewrite, mirror clusters, durations, direct
//     response body size (max_direct_response_body_size_bytes, 4096 by
//     default);
//   - validate_clusters true is rejected: the table does not know the
//     clusters (our RDS sets false, Envoy's RDS default).
//
// Two Envoy behaviours worth knowing when reading test results: a header
// sent several times is matched value by value (since Envoy 1.39; a single
// "a,b" line is one value), and one random value per request decides the
// runtime fractions, the weighted cluster and the mirror fractions alike
// (Envoy uses the stream id for all three).
//
// Deliberate limits, each also documented where it applies: the data plane
// has no runtime layer, so runtime_key is never found and default_value
// applies; RE2's program-size limit is not computed; an RE2 rewrite string
// with an invalid escape is rejected (RE2 would fail at request time).
//
// Headers Envoy's router adds upstream, reproduced here for the actions
// implemented (all skipped with SuppressEnvoyHeaders):
// x-envoy-expected-rq-timeout-ms (the expected timeout, when there is one),
// x-envoy-original-path (the path before a prefix or regex rewrite) and
// x-envoy-original-host (the host before host_rewrite_literal).
// x-forwarded-host is appended only with append_x_forwarded_host.
// x-envoy-upstream-rq-timeout-ms and x-envoy-upstream-rq-per-try-timeout-ms
// are honoured and removed as Envoy's router does; the connection manager
// strips them from external requests before.
package router
