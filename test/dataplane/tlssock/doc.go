// Package tlssock is the test data plane's TLS transport socket
// (envoy.transport_sockets.tls): it turns an UpstreamTlsContext into a
// client tls.Config and a DownstreamTlsContext into a server tls.Config
// whose certificates come from SDS secrets at handshake time, with
// Envoy's semantics:
//
//   - protocol versions: TLS_AUTO means TLS 1.2 to 1.2 for clients and TLS
//     1.2 to 1.3 for servers (Envoy's defaults);
//   - a client verifies the server's chain only when the validation
//     context has a trusted_ca (Envoy does not verify otherwise), and then
//     the subject alternative names against match_typed_subject_alt_names
//     when set (any matcher matching any SAN of its type); there is no
//     hostname check against the SNI;
//   - a server selects among several certificates as Envoy does: the
//     certificates whose DNS SANs (or CN without SANs) match the SNI
//     exactly, else by wildcard, else all of them; among those the first
//     ECDSA certificate the client supports, else the first RSA one;
//   - ALPN: when the client offers protocols none of which the server
//     lists, the handshake continues without ALPN (BoringSSL's behaviour;
//     Go's own default would fail it);
//   - require_client_certificate asks for and verifies a client
//     certificate against the validation context; without it a
//     certificate is still requested when the context has trusted_ca, and
//     one presented is verified (a client without one is served);
//   - trust_chain_verification ACCEPT_UNTRUSTED accepts a presented
//     certificate that fails verification (chain or SANs).
//
// Cipher suites and curves are Go's defaults (Envoy's defaults differ in
// detail: no TLS 1.2 CBC suites there); they are not configurable here.
package tlssock
