package translator

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// SystemCABundle is the file of the system's trusted CAs in the Envoy image
// (Debian's ca-certificates bundle); UpstreamTLS.SystemCA trusts it.
const SystemCABundle = "/etc/ssl/certs/ca-certificates.crt"

// UpstreamTLSTransportSocket originates TLS (Envoy's client default: 1.2) to a cluster's
// endpoints: the SNI, the trusted CAs, and the subject alternative names
// of which the server certificate must carry one (Envoy checks nothing
// else: not the SNI against the certificate). The client certificate, if
// any, is inline.
func UpstreamTLSTransportSocket(u *ir.UpstreamTLS) *corev3.TransportSocket {
	ca := &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: u.CACertificate}}
	if u.SystemCA {
		ca = &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: SystemCABundle}}
	}
	validation := &tlsv3.CertificateValidationContext{TrustedCa: ca}
	for _, san := range u.SubjectAltNames {
		validation.MatchTypedSubjectAltNames = append(validation.MatchTypedSubjectAltNames, &tlsv3.SubjectAltNameMatcher{
			SanType: sanType(san.Type),
			Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: san.Value}},
		})
	}
	common := &tlsv3.CommonTlsContext{
		ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: validation},
	}
	if c := u.ClientCertificate; c != nil {
		common.TlsCertificates = []*tlsv3.TlsCertificate{{
			CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: c.Certificate}},
			PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: c.PrivateKey}},
		}}
	}
	ctx := &tlsv3.UpstreamTlsContext{Sni: u.SNI, CommonTlsContext: common}
	return &corev3.TransportSocket{
		Name:       wellknown.TransportSocketTLS,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: MustAny(ctx)},
	}
}

func sanType(t ir.SANType) tlsv3.SubjectAltNameMatcher_SanType {
	if t == ir.SANTypeURI {
		return tlsv3.SubjectAltNameMatcher_URI
	}
	return tlsv3.SubjectAltNameMatcher_DNS
}
