package tlssock

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Client is a compiled UpstreamTlsContext.
type Client struct {
	config *tls.Config
}

// NewClient compiles an UpstreamTlsContext; files are read with read.
// path prefixes error messages (the typed_config's field path).
func NewClient(ctx *tlsv3.UpstreamTlsContext, read ReadFile, path string) (*Client, error) {
	common := ctx.GetCommonTlsContext()
	cpath := path + ".common_tls_context"
	lo, hi, err := versionRange(common.GetTlsParams(), clientMinDefault, clientMaxDefault, cpath+".tls_params")
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion: lo,
		MaxVersion: hi,
		ServerName: ctx.GetSni(),
		NextProtos: common.GetAlpnProtocols(),
		// Verification is Envoy's, in VerifyConnection: chain only with a
		// trusted CA, SANs only with matchers, never the hostname.
		InsecureSkipVerify: true, //nolint:gosec // see VerifyConnection
	}
	if n := len(common.GetTlsCertificates()); n > 1 {
		return nil, fmt.Errorf("%s.tls_certificates: invalid: %d certificates; a client context takes at most one", cpath, n)
	}
	if len(common.GetTlsCertificateSdsSecretConfigs()) > 0 {
		return nil, fmt.Errorf("%s.tls_certificate_sds_secret_configs: "+
			"not implemented by the test data plane in upstream contexts", cpath)
	}
	for i, c := range common.GetTlsCertificates() {
		cert, err := keyPair(c, read, fmt.Sprintf("%s.tls_certificates[%d]", cpath, i))
		if err != nil {
			return nil, err
		}
		// Envoy presents its certificate whenever the server asks for one,
		// whatever CAs the server names as acceptable; Go's default
		// (Certificates) would send none when they do not match.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	v, err := newValidator(common.GetValidationContext(), read, cpath+".validation_context", x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	cfg.VerifyConnection = v.verify
	return &Client{config: cfg}, nil
}

// Config returns a fresh copy of the client configuration. alpnFallback
// is offered when the context lists no ALPN protocols (Envoy offers "h2"
// to an HTTP/2 upstream that way).
func (c *Client) Config(alpnFallback ...string) *tls.Config {
	cfg := c.config.Clone()
	if len(cfg.NextProtos) == 0 {
		cfg.NextProtos = alpnFallback
	}
	return cfg
}

// keyPair loads a TlsCertificate's chain and key.
func keyPair(c *tlsv3.TlsCertificate, read ReadFile, path string) (tls.Certificate, error) {
	chain, err := DataSource(c.GetCertificateChain(), read)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s.certificate_chain: %w", path, err)
	}
	key, err := DataSource(c.GetPrivateKey(), read)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s.private_key: %w", path, err)
	}
	cert, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s: invalid certificate or key: %w", path, err)
	}
	return cert, nil
}

// validator is a compiled CertificateValidationContext.
type validator struct {
	roots    *x509.CertPool // nil: no chain verification
	sans     []sanMatcher
	usage    x509.ExtKeyUsage
	required bool // a peer certificate must be presented
	// acceptUntrusted is trust_chain_verification ACCEPT_UNTRUSTED: a
	// presented certificate that fails verification (chain or SANs) is
	// still accepted, as Envoy's default validator does.
	acceptUntrusted bool
}

func newValidator(vc *tlsv3.CertificateValidationContext, read ReadFile, path string,
	usage x509.ExtKeyUsage) (*validator, error) {
	v := &validator{usage: usage}
	if vc == nil {
		return v, nil
	}
	if vc.GetTrustedCa() != nil {
		pem, err := DataSource(vc.GetTrustedCa(), read)
		if err != nil {
			return nil, fmt.Errorf("%s.trusted_ca: %w", path, err)
		}
		v.roots = x509.NewCertPool()
		if !v.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s.trusted_ca: invalid: no certificate in the CA bundle", path)
		}
	}
	sans, err := compileSANMatchers(vc.GetMatchTypedSubjectAltNames(), path+".match_typed_subject_alt_names")
	if err != nil {
		return nil, err
	}
	if len(sans) > 0 && v.roots == nil {
		return nil, fmt.Errorf("%s.match_typed_subject_alt_names: invalid: SAN-based verification requires trusted_ca", path)
	}
	v.sans = sans
	v.acceptUntrusted = vc.GetTrustChainVerification() == tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED
	return v, nil
}

// verify checks the peer's chain and SANs as Envoy's default validator.
func (v *validator) verify(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		if v.required {
			return errors.New("peer did not present a certificate")
		}
		return nil
	}
	if v.roots == nil || v.acceptUntrusted {
		return nil
	}
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: v.roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{v.usage}}); err != nil {
		return fmt.Errorf("certificate verify failed: %w", err)
	}
	if len(v.sans) > 0 && !matchSANs(leaf, v.sans) {
		return errors.New("certificate verify failed: no subject alternative name matches")
	}
	return nil
}
