// Package host owns the standalone data plane of the File provider: for each
// proxy fleet of the fleets topic (bus.FleetSet) it writes an Envoy bootstrap (ADS to
// the xDS server, node cluster = fleet name) under a state folder and, when
// an Envoy binary is available, runs one Envoy per fleet as a child process,
// restarts it with backoff when it dies and stops it when the fleet goes or
// the server stops. It reports each running fleet's InfraState (ready once
// Envoy's admin /ready answers 200; address 127.0.0.1). With no binary it
// only writes the bootstraps, logs once where they are, and reports no
// InfraState: nothing runs, so no Gateway is Programmed.
package host
