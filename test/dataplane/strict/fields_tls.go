package strict

// tlsFields are the implemented fields of the TLS transport socket
// (envoy.extensions.transport_sockets.tls.v3) and its SDS secrets.
var tlsFields = []Field{
	{Name: tlsPkg + "UpstreamTlsContext.common_tls_context"},
	{Name: tlsPkg + "UpstreamTlsContext.sni"},
	{Name: tlsPkg + "DownstreamTlsContext.common_tls_context"},
	{Name: tlsPkg + "DownstreamTlsContext.require_client_certificate"},
	{Name: tlsPkg + "CommonTlsContext.tls_params"},
	{Name: tlsPkg + "CommonTlsContext.tls_certificates"},
	{Name: tlsPkg + "CommonTlsContext.tls_certificate_sds_secret_configs"},
	{Name: tlsPkg + "CommonTlsContext.validation_context"},
	{Name: tlsPkg + "CommonTlsContext.alpn_protocols"},
	{Name: tlsPkg + "TlsParameters.tls_minimum_protocol_version", Values: tlsVersions},
	{Name: tlsPkg + "TlsParameters.tls_maximum_protocol_version", Values: tlsVersions},
	{Name: tlsPkg + "TlsCertificate.certificate_chain"},
	{Name: tlsPkg + "TlsCertificate.private_key"},
	{Name: tlsPkg + "SdsSecretConfig.name"},
	{Name: tlsPkg + "SdsSecretConfig.sds_config"},
	{Name: tlsPkg + "CertificateValidationContext.trusted_ca"},
	{Name: tlsPkg + "CertificateValidationContext.match_typed_subject_alt_names"},
	{Name: tlsPkg + "CertificateValidationContext.trust_chain_verification", Values: trustChainModes},
	{Name: tlsPkg + "SubjectAltNameMatcher.san_type", Values: []string{"EMAIL", "DNS", "URI", "IP_ADDRESS"}},
	{Name: tlsPkg + "SubjectAltNameMatcher.matcher"},
	{Name: tlsPkg + "Secret.name"},
	{Name: tlsPkg + "Secret.tls_certificate"},
}

const tlsPkg = "envoy.extensions.transport_sockets.tls.v3."

var trustChainModes = []string{"VERIFY_TRUST_CHAIN", "ACCEPT_UNTRUSTED"}

var tlsVersions = []string{"TLS_AUTO", "TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"}

// upstreamHTTPFields are the implemented fields of the upstream HTTP
// protocol options (envoy.extensions.upstreams.http.v3).
var upstreamHTTPFields = []Field{
	{Name: upstreamHTTP + "HttpProtocolOptions.explicit_http_config"},
	{Name: upstreamHTTP + "HttpProtocolOptions.ExplicitHttpConfig.http_protocol_options"},
	{Name: upstreamHTTP + "HttpProtocolOptions.ExplicitHttpConfig.http2_protocol_options"},
}

const upstreamHTTP = "envoy.extensions.upstreams.http.v3."

// wellKnownFields are the google.protobuf fields used beyond the router's.
var wellKnownFields = []Field{
	{Name: "google.protobuf.UInt32Value.value"},
}
