// Package gatewayapi owns the resource translator: the pure function that turns
// one Resources snapshot (GatewayClasses, Gateways, ListenerSets, HTTPRoutes, TLSRoutes,
// ReferenceGrants, Namespaces, Services, EndpointSlices, Secrets, EnvoyProxies,
// RateLimitFilters and the observed state of each fleet's infrastructure) into the IR of every
// proxy fleet (internal/ir) and the status of every object it is responsible for.
//
// Translate never calls an API server, reads a clock or keeps global state, and
// it never modifies its input: the same Resources give byte-identical output.
//
// The package is split by kind. Each file processes, validates and builds one
// kind: gatewayclass.go and envoyproxy.go (classes and their parameters),
// gateway.go, listener.go and conflicts.go (Gateways and their listeners),
// listenerset.go (ListenerSets: listeners merged into a Gateway's after its own),
// fleet.go (grouping Gateways into proxy fleets and building their IR),
// parentref.go (route attachment), httproute.go, httprule.go, httpfilter.go and
// precedence.go (HTTPRoutes), ratelimitfilter.go (RateLimitFilters named by
// ExtensionRef filters: the rate limits of a rule), tlsroute.go, backend.go (backendRefs and clusters),
// certificate.go (listener certificates), tlsoverlap.go (OverlappingTLSConfig),
// hostname.go and index.go (lookups by key, never scans).
//
// No admitted object may break a fleet: dataplane.go holds the rules Envoy
// puts on the values copied from user input (from the Envoy protos'
// validation rules and what Envoy checks beyond them), and each rule that
// breaks one is rejected alone with UnsupportedValue and the field path of
// the value. Options.DataPlane then builds and validates each remaining
// route as the xDS translator will, so that anything it would still leave
// out is rejected here too, with a status. Invalid objects stay in the model with the error that
// explains them; errors carry the condition reason they become (reasonError,
// conditions.go) and are turned into conditions once, in status.go.
//
// LoadResources (load.go) decodes a YAML stream of the supported kinds into
// Resources; the File provider and the golden tests use it.
package gatewayapi
