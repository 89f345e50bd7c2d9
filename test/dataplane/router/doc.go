// Package router implements the semantics of an Envoy RouteConfiguration
// (the RDS resource) as pure functions: given a validated route table and a
// downstream request, it selects the virtual host and the route and says
// what to do (forward to a cluster with a rewritten request and retry /
// timeout / mirror policies, or answer directly: redirect, direct response,
// 404). It does no I/O; the data plane's HTTP connection manager executes
// the decision.
//
// Contract with the rest of the data plane (package dataplane):
//
//	// Compile validates rc against Envoy's semantics and the strict field
//	// table and returns a table ready to route, or an error naming the
//	// field path (the data plane NACKs the RDS response with it).
//	func Compile(rc *routev3.RouteConfiguration) (*Table, error)
//
//	// Route decides what to do with req; rnd decides runtime fractions and
//	// weighted cluster picks (math/rand/v2 compatible).
//	func (t *Table) Route(req *Request, rnd Rand) *Decision
//
// Request carries what Envoy's router sees after the HTTP connection
// manager: method, :authority (Host), :path (with query), :scheme, the
// request headers (lower-case names), the downstream remote address.
// Decision is either a direct response (status, headers, body: redirects,
// direct_response, 404 when no virtual host or route matches) or a forward:
// the chosen cluster, the request to send upstream (rewritten path, host,
// headers after every request_headers_to_add/remove level), a function
// applying the response header mutations of every level, the timeout, the
// retry policy and the mirror clusters selected for this request.
//
// ImplementedFields lists the full names of the RouteConfiguration fields
// (and of every message reachable from it) this package implements; package
// strict merges it into the data plane's table.
package router
