// Package xdsclient is the test data plane's ADS client: one
// state-of-the-world aggregated discovery stream over gRPC, as Envoy's
// GrpcMuxImpl runs it.
//
//   - Subscriptions are per type: wildcard (LDS, CDS: every resource the
//     server has, an absent resource is a removed one) or by name (RDS, EDS,
//     SDS: the names the listeners and clusters reference). Changing a
//     subscription sends a request with the new names at once.
//   - Each response is decoded (every resource must be of the response's
//     type, names unique) and handed to the type's Handler. The client then
//     sends the requests of the subscriptions the handler changed, then the
//     ACK (version_info = the response's version, response_nonce = its
//     nonce) or, when decoding or the handler failed, the NACK
//     (version_info = the last accepted version, error_detail = the error,
//     gRPC code INTERNAL, message truncated at 4096 bytes as Envoy does).
//   - The node is sent on the first request of every stream only
//     (set_node_on_first_message_only, what our bootstrap asks for); when
//     the stream breaks the client reconnects with Envoy's jittered
//     exponential backoff (500 ms doubling to 30 s) and re-sends every
//     subscription with its last accepted version and no nonce.
//
// The client knows nothing of resource semantics: the handlers (package
// dataplane) validate, apply and decide what to subscribe to next.
package xdsclient
