// Package echo is an in-process stand-in for the Gateway API conformance
// suite's backend image, registry.k8s.io/gateway-api/echo-basic, written
// here from the suite's wire format (what its clients in
// sigs.k8s.io/gateway-api/conformance/utils parse). It is test-only code.
//
// Like the image, it is configured by environment variables and picks one
// of four modes:
//
//   - HTTP (default): plain HTTP on HTTP_PORT (3000), HTTP/2 cleartext on
//     H2C_PORT (3001), and HTTPS on HTTPS_PORT (8443) when TLS_SERVER_CERT
//     and TLS_SERVER_PRIVKEY name a certificate and key (client
//     certificates are verified against TLS_CLIENT_CACERTS when given, and
//     optional). Every request is answered with a JSON description of it
//     (path, host, method, proto, headers, httpPort, namespace, ingress,
//     service, pod, and the TLS state), after an optional ?delay=; the
//     response carries the headers X-Echo-Set-Header asks for. /health
//     answers OK, /status/NNN answers status NNN, /ws echoes WebSocket
//     frames, /retry/ fails the first
//     succeedAfter attempts of a uuid. Each echoed request is logged as
//     "Echoing back request made to <path> to client (<address>)", which the
//     suite's mirror tests look for in the Pod's logs.
//   - gRPC (GRPC_ECHO_SERVER set): the suite's GrpcEcho service, plaintext
//     on HTTP_PORT and TLS on HTTPS_PORT with TLS_SERVER_CERT and
//     TLS_SERVER_PRIV_KEY.
//   - TCP (TCP_ECHO_SERVER set): a line protocol on TCP_PORT (3000) and
//     TLS_PORT (8443, with TLS_SERVER_CERT and TLS_SERVER_PRIV_KEY): a
//     welcome line, then TEST, IS_TLS and PING commands.
//   - UDP (UDP_ECHO_SERVER set): every datagram on UDP_PORT (8080) is
//     answered, to its sender, with JSON holding the request (its first
//     1024 bytes), namespace, ingress, service and pod.
//
// Servers listen on Config.Addr (the Pod's IP) rather than every address.
package echo
