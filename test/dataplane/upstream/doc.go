// Package upstream owns the test data plane's clusters (Envoy's cluster
// manager): compiling Cluster resources, their hosts (STATIC and
// STRICT_DNS load_assignment, EDS ClusterLoadAssignments), warming, load
// balancing and the connections to upstream hosts, with Envoy's
// semantics:
//
//   - a new or changed cluster warms before it is used: STATIC at once,
//     STRICT_DNS after its first resolution of every hostname, EDS once
//     its ClusterLoadAssignment arrived (from the EDS cache when the
//     assignment is already known, as Envoy's ADS EDS cache does) or its
//     config source's initial_fetch_timeout (15 s by default) passed; the
//     previous version serves until then; an unchanged cluster is left
//     alone;
//   - hosts: health_status UNKNOWN and HEALTHY are healthy, DEGRADED is
//     degraded, UNHEALTHY and TIMEOUT are unhealthy, DRAINING is excluded;
//     when fewer than 50 % of the hosts are healthy or degraded the
//     cluster is in panic and balances over every host (Envoy's
//     healthy_panic_threshold default); healthy and degraded hosts share
//     the load by Envoy's overprovisioning factor 1.4; a cluster without
//     hosts answers "no healthy upstream";
//   - ROUND_ROBIN: plain round robin when all weights are equal, else an
//     earliest-deadline-first schedule over load_balancing_weight
//     (Envoy's weighted round robin); localities are not weighted (Envoy
//     needs locality_weighted_lb_config for that, not implemented);
//   - STRICT_DNS: every address of every hostname is a host, re-resolved
//     every 5 s (Envoy's dns_refresh_rate default; the field is not implemented), the last good answer kept
//     on failure, dns_lookup_family choosing the families (AUTO: IPv6 if
//     any, else IPv4; V4_PREFERRED: IPv4 if any, else IPv6);
//   - connections: connect_timeout (5 s by default) bounds each connect;
//     HTTP/1.1 unless the HttpProtocolOptions ask for HTTP/2 (h2c with
//     prior knowledge in plaintext, "h2" by ALPN over TLS), with HTTP/2
//     keepalive pings when configured; pools per cluster and host; STATIC
//     and EDS hosts may be unix sockets (pipe addresses);
//     idle connections kept for an hour (Envoy's idle_timeout default).
//
// Circuit breakers, outlier detection, health checks and priorities are
// not implemented: their fields are rejected by package strict.
package upstream
