// Package runner owns the xDS runner: it subscribes to the fleets the
// resource translator publishes (bus.FleetSet) and to the providers'
// endpoints snapshots (ir.Endpoints) on the message bus, translates each fleet's xDS IR into Envoy resources and hands
// them to the xDS server, and stops serving fleets that disappeared. A new
// endpoints snapshot recomputes only the ClusterLoadAssignments of the
// fleets served (from the clusters of the IR each was translated from) and
// replaces only them on the server: endpoint churn translates no route.
// The translation of a fleet never fails as a whole: an element Envoy would
// refuse is left out alone (translator.Resources.LeftOut), logged with the
// object it comes from and counted (envoy_gateway_xds_left_out_total,
// envoy_gateway_xds_left_out_elements), and the rest is served. Only a nil
// IR, a panic or a refusal by the server keep a fleet on its previous
// configuration; those are logged and counted as errors. After each result
// the rate limit service is served the global rate limits of the IR every
// served fleet was translated from (translator.RateLimitConfigs), so that it
// knows exactly the descriptors the proxies send.
package runner
