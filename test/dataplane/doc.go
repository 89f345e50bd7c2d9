// Package dataplane is a test-only Envoy stand-in: a data plane in Go that
// consumes the xDS this project serves exactly as Envoy does and executes it
// with Envoy's documented semantics, so that requests can go through a
// configuration we serve on machines where no Envoy binary can be installed.
// It never ships: nothing outside test/ imports it.
//
// Rule: strict, never lenient. Every field and every typed_config it
// receives is either implemented with Envoy's semantics (the proto doc
// comments of go-control-plane's envoy module are the reference) or the
// resource is NACKed with the field path. package strict enforces this
// mechanically: every received resource is walked against the table of
// implemented fields before it is used.
//
// Layout:
//
//   - dataplane (this package): Start(ctx, Options) runs one proxy from an
//     Envoy command line and bootstrap; it wires the packages below.
//   - strict: the implemented-field table and the walker that NACKs the rest.
//   - xdsclient: ADS over gRPC from the bootstrap's ads_config (wildcard
//     LDS/CDS, then RDS/EDS/SDS by name), ACK/NACK with error_detail.
//   - router: the semantics of a RouteConfiguration (RDS resource): virtual
//     host selection, route matching, route actions and header mutations,
//     as pure functions over a request. No I/O.
//   - the rest (listeners, filter chains, TLS, the HTTP connection manager,
//     upstream clusters and load balancing, tcp_proxy, retries, timeouts,
//     mirrors): network code in this package or its subpackages.
package dataplane
