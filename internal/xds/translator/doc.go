// Package translator owns the pure translation of one fleet's xDS IR
// (internal/ir.Xds) into Envoy v3 resources: Listeners, RouteConfigurations,
// Clusters, ClusterLoadAssignments and Secrets.
//
// Translate has no side effects and no hidden state: the same IR gives
// byte-identical resources. Resource names are stable and readable, and every
// list is sorted by name. A Cache (cache.go) gives exactly the same results
// while reusing the messages of the IR elements that did not change since
// its previous call, so that translating a fleet again after one route or
// one Service's endpoints changed costs about what changed; the xDS runner
// keeps one per fleet.
//
// A translation never fails as a whole. Each element is checked alone, once,
// as it is built: the IR's invariants (isolate.go), then the protos'
// ValidateAll on each route, virtual host, route configuration, filter
// chain, listener, cluster, assignment and secret, plus the rules Envoy
// applies beyond them (regex syntax and RE2 program size). An element that
// fails is left out and listed in Resources.LeftOut with the Kubernetes
// object it comes from (ir.Source); everything else is served. CheckedRoutes
// lets the resource translator run the route checks itself, so that the
// route's status says when Envoy would refuse it.
//
// Layout of the output:
//
//   - One Listener per address:port, named "listener/<address>/<port>".
//   - Plain HTTP listeners sharing a port share one filter chain with one HTTP
//     connection manager that takes its routes over RDS from the
//     RouteConfiguration "route/<address>/<port>".
//   - HTTPS listeners get one filter chain per distinct hostname set (listeners
//     with the same hostnames on one port are merged): server_names are the
//     hostnames ("*" matches any SNI), TLS is terminated with the listeners'
//     certificates taken over SDS, and the routes come from the
//     RouteConfiguration "route/<address>/<port>/<first listener name>". A
//     RouteConfiguration per filter chain keeps a request that arrives on one
//     listener's certificate from reaching another listener's routes.
//   - TLS passthrough routes get one filter chain each, matched by SNI with
//     the tls_inspector listener filter, and a tcp_proxy to their cluster(s).
//   - A server name claimed by an earlier filter chain of the same listener
//     (HTTPS listeners first, then passthrough routes, both in IR order) is
//     not matched again by a later one, so Envoy never sees duplicate
//     filter chain matches.
//   - Within a RouteConfiguration, routes are grouped into one virtual host per
//     ir.HTTPRoute.Hostname, keeping the IR's order within each.
//   - A Destination's InvalidWeight becomes a route with the same match and a
//     runtime_fraction equal to the invalid share that answers 500, placed
//     before the route to the valid weighted clusters.
//   - Clusters are EDS clusters (with a ClusterLoadAssignment of the same name)
//     or strict-DNS clusters (with an inline load assignment). The endpoints
//     of an EDS cluster with an ir.EndpointSource come from the endpoints
//     snapshot (ir.Endpoints); TranslateEndpoints recomputes only the
//     assignments when that snapshot changes. TLS passthrough
//     traffic that must fail goes to the endpoint-less static cluster
//     "invalid-backend", which makes tcp_proxy close the connection.
//   - Secrets are the certificates of HTTPS listeners, named like the IR
//     certificate ("<namespace>/<name>").
package translator
