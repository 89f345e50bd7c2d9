// Package coredns is an in-process stand-in for the CoreDNS image the
// Gateway API conformance suite deploys (registry.k8s.io/coredns/coredns,
// the UDPRoute backend), written here; test-only code. It reads the
// Corefile named by -conf and serves its server blocks over UDP and TCP on
// the Pod's address, with the plugins that Corefile uses, in CoreDNS's
// plugin order:
//
//   - log: one line per query, "[INFO] client - id "TYPE CLASS name proto
//     size" RCODE size duration";
//   - errors: a line per failure;
//   - whoami: answers any query with the client's address (A or AAAA) and
//     port and transport (SRV _udp./_tcp.<name>) in the additional section;
//   - forward FROM TO...: passes the query to the upstream servers in turn
//     (UDP, 2 s each) and answers SERVFAIL when none answers (nothing
//     outside answers on an offline machine).
//
// A query goes to the server block of the longest zone that contains its
// name. Any other plugin, a nested block or another flag makes Start fail
// with the reason, so the Pod does not become Ready.
package coredns
