// Package runner owns the xDS runner: it subscribes to the fleets the
// resource translator publishes (bus.FleetSet) and to the providers'
// endpoints snapshots (ir.Endpoints) on the message bus, translates each fleet's xDS IR into Envoy resources and hands
// them to the xDS server, and stops serving fleets that disappeared. A new
// endpoints snapshot recomputes only the ClusterLoadAssignments of the
// fleets served (from the clusters of the IR each was translated from) and
// replaces only them on the server: endpoint churn translates no route. A
// fleet whose translation fails keeps serving its previous configuration;
// the error is logged and counted.
package runner
