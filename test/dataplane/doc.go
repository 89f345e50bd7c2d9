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
// mechanically: every received resource, and the bootstrap, is walked
// against the table of implemented fields before it is used
// (`go test ./test/dataplane/strict -run TestPrintImplementedFields -v`
// prints the table; FIELDS.md holds it, kept in step by a test).
//
// # Public API
//
//	type Options struct {
//		Args      []string // the Envoy command line after the binary name
//		ReadFile  func(path string) ([]byte, error) // the container's files; nil: os.ReadFile
//		WriteFile func(path string, data []byte) error // --admin-address-path; nil: os.WriteFile
//		PodIP     netip.Addr // where 0.0.0.0, ::, 127.0.0.1 and ::1 are bound; empty: 127.0.0.1
//		Resolver  interface{ LookupNetIP(ctx, network, host string) ([]netip.Addr, error) } // nil: net.DefaultResolver
//		Logger    logr.Logger
//	}
//	func Start(ctx context.Context, opts Options) (*Proxy, error) // bootstrap loaded, ADS dialing
//	func (p *Proxy) Ready() bool                // Envoy's /ready: initialized, listeners accept
//	func (p *Proxy) Stop(ctx context.Context) error // closes every socket and goroutine
//	func (p *Proxy) AdminAddr() netip.AddrPort
//	func (p *Proxy) ListenerAddr(name string) (netip.AddrPort, bool)
//	func (p *Proxy) ConfigDump(includeEDS bool) (*adminv3.ConfigDump, error)
//
// The command line takes what our renderer and host manager pass:
// -c/--config-path, --config-yaml (merged over the file), --service-node,
// --service-cluster, -l/--log-level, --drain-time-s (600 by default),
// --use-dynamic-base-id (nothing to share here) and --admin-address-path
// (the admin address is written there). Any other flag is an error.
//
// # What a proxy does
//
// Start reads the bootstrap (YAML, or JSON for a .json name; unknown
// fields are errors), walks it with package strict, binds the admin
// interface (/ready, /config_dump) and the static listeners, and dials
// the ADS cluster (its STATIC or STRICT_DNS endpoints, mutual TLS through
// ReadFile as the bootstrap says). Initialization then follows Envoy's:
// the static clusters warm, CDS is subscribed and its clusters warm (EDS),
// then LDS is subscribed and its listeners warm (RDS, SDS); each first
// response may also time out (initial_fetch_timeout, 15 s by default).
// Only then do listeners accept connections and Ready turn true. The node
// presented is the bootstrap's id and cluster with user_agent_name
// "envoy" and user_agent_build_version 1.40.0.
//
// Layout:
//
//   - dataplane (this package): the command line, the bootstrap, the admin
//     interface, the xDS handlers (each response checked by strict, then
//     compiled; LDS and CDS resources are applied one by one as Envoy does
//     and the failures NACKed together) and the initialization sequence.
//   - strict: the implemented-field table and the walker that NACKs the rest.
//   - xdsclient: ADS over gRPC from the bootstrap's ads_config (wildcard
//     LDS/CDS, then RDS/EDS/SDS by name), ACK/NACK with error_detail.
//   - router: the semantics of a RouteConfiguration (RDS resource): virtual
//     host selection, route matching, route actions and header mutations,
//     as pure functions over a request. No I/O.
//   - listener: the listener manager: sockets (PodIP mapping), listener
//     warming, tls_inspector, filter chain selection, in-place filter
//     chain updates and draining.
//   - hcm: the HTTP connection manager (codecs, header sanitizing, path
//     normalization, the health_check and rate limit filters) and the router filter's
//     execution (upstream requests, timeouts, retries, mirrors, local
//     replies).
//   - ratelimit: the local_ratelimit and ratelimit HTTP filters (token
//     buckets; ShouldRateLimit to the rate limit service).
//   - tcpproxy: the tcp_proxy network filter.
//   - tlssock: the TLS transport socket (upstream and downstream contexts,
//     SDS certificates).
//   - upstream: the cluster manager: clusters, hosts, load balancing and
//     connection pools.
package dataplane
