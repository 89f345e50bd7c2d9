// Package listener is the test data plane's listener manager:
//
//   - sockets: a listener binds its socket_address (TCP); 0.0.0.0, ::,
//     127.0.0.1 and ::1 are bound on the proxy's PodIP. A new version of
//     a listener at the same address takes over its socket (Envoy clones
//     it), so no connection is refused during an update; another
//     listener's address is refused ("duplicate address"), a bind failure
//     is an error of that listener (NACKed);
//   - warming: a new or changed listener waits for its route
//     configurations (RDS) and secrets (SDS), or their initial fetch
//     timeout (15 s by default, the longest of its config sources), before
//     it replaces the previous version; listeners accept connections only
//     once Start is called (Envoy starts its workers after
//     initialization);
//   - updates: when only the filter chains changed, the update is in
//     place: connections on unchanged chains go on, those on removed or
//     changed chains drain; any other change replaces the listener and
//     all its connections drain; a removed listener stops accepting at
//     once and its connections drain (see package hcm for what draining
//     means for HTTP; tcp_proxy connections are closed after
//     --drain-time-s);
//   - listener filters: tls_inspector only. It reads the first byte and,
//     for a TLS handshake record, the ClientHello (server name, ALPN);
//     the bytes are replayed to the filter chain. A connection that sends
//     nothing usable within listener_filters_timeout (15 s) is closed;
//     without tls_inspector the transport protocol is raw_buffer and
//     there is no server name;
//   - filter chain selection, in Envoy's order without backtracking:
//     destination_port, server_names (exact, then the longest wildcard
//     "*.suffix", then chains without server names), transport_protocol,
//     application_protocols; no match uses default_filter_chain, else the
//     connection is closed. Chain names must be unique and no two chains
//     may have the same matching rules, as Envoy requires;
//   - a filter chain has exactly one network filter, http_connection_manager
//     or tcp_proxy, and optionally the TLS transport socket (package
//     tlssock); per_connection_buffer_limit_bytes (1 MiB by default) is
//     handed to the connection manager (package hcm says what it bounds).
package listener
