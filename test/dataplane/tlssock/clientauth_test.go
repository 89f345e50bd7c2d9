package tlssock_test

import (
	"crypto/tls"
	"testing"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/envoygw/envoy-gateway/test/dataplane/internal/testpki"
	"github.com/envoygw/envoy-gateway/test/dataplane/tlssock"
)

// TestServerClientCertificateModes checks downstream client certificate
// handling: require_client_certificate and trust_chain_verification as
// Envoy applies them, and that a certificate is always requested when the
// context has a trusted CA.
func TestServerClientCertificateModes(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	other := testpki.NewCA(t, "other")
	serverCert := ca.Issue(t, testpki.Options{DNSNames: []string{"a.test"}}).TLS(t)
	trusted := ca.Issue(t, testpki.Options{CommonName: "client", Client: true}).TLS(t)
	untrusted := other.Issue(t, testpki.Options{CommonName: "stranger", Client: true}).TLS(t)
	store := secrets{"s": &serverCert}

	tests := []struct {
		name     string
		required bool
		mode     tlsv3.CertificateValidationContext_TrustChainVerification
		cert     *tls.Certificate
		wantOK   bool
	}{
		{"optional, none", false, tlsv3.CertificateValidationContext_VERIFY_TRUST_CHAIN, nil, true},
		{"optional, trusted", false, tlsv3.CertificateValidationContext_VERIFY_TRUST_CHAIN, &trusted, true},
		{"optional, untrusted", false, tlsv3.CertificateValidationContext_VERIFY_TRUST_CHAIN, &untrusted, false},
		{"required, none", true, tlsv3.CertificateValidationContext_VERIFY_TRUST_CHAIN, nil, false},
		{"required, untrusted", true, tlsv3.CertificateValidationContext_VERIFY_TRUST_CHAIN, &untrusted, false},
		{"accept untrusted, none", false, tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED, nil, true},
		{"accept untrusted, trusted", false, tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED, &trusted, true},
		{"accept untrusted, untrusted", false, tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED, &untrusted, true},
		{"accept untrusted, required, none", true, tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED, nil, false},
		{"accept untrusted, required, untrusted", true, tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED, &untrusted, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := downstream([]string{"s"})
			ctx.CommonTlsContext.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{
				ValidationContext: &tlsv3.CertificateValidationContext{TrustedCa: inline(ca.PEM), TrustChainVerification: tc.mode},
			}
			ctx.RequireClientCertificate = wrapBool(tc.required)
			srv, err := tlssock.NewServer(ctx, store, nil, "ctx")
			if err != nil {
				t.Fatal(err)
			}
			requested := false
			client := &tls.Config{InsecureSkipVerify: true, //nolint:gosec // test
				GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
					requested = true
					if tc.cert == nil {
						return &tls.Certificate{}, nil
					}
					return tc.cert, nil
				}}
			_, cErr, sErr := handshake(t, client, srv.Config())
			if ok := cErr == nil && sErr == nil; ok != tc.wantOK {
				t.Errorf("handshake accepted = %v, want %v (client %v, server %v)", ok, tc.wantOK, cErr, sErr)
			}
			if !requested {
				t.Error("the server did not request a client certificate")
			}
		})
	}
}
