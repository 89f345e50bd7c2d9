package tlssock

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Secrets gives the current TLS certificate of an SDS secret.
type Secrets interface {
	Certificate(name string) (*tls.Certificate, bool)
}

// Server is a compiled DownstreamTlsContext.
type Server struct {
	static    []tls.Certificate
	sdsNames  []string
	secrets   Secrets
	lo, hi    uint16
	alpn      []string
	validator *validator
}

// NewServer compiles a DownstreamTlsContext; certificates named by SDS
// are looked up in secrets at each handshake.
func NewServer(ctx *tlsv3.DownstreamTlsContext, secrets Secrets, read ReadFile, path string) (*Server, error) {
	common := ctx.GetCommonTlsContext()
	cpath := path + ".common_tls_context"
	lo, hi, err := versionRange(common.GetTlsParams(), serverMinDefault, serverMaxDefault, cpath+".tls_params")
	if err != nil {
		return nil, err
	}
	s := &Server{secrets: secrets, lo: lo, hi: hi, alpn: common.GetAlpnProtocols()}
	for i, c := range common.GetTlsCertificates() {
		cert, err := keyPair(c, read, fmt.Sprintf("%s.tls_certificates[%d]", cpath, i))
		if err != nil {
			return nil, err
		}
		s.static = append(s.static, cert)
	}
	for _, c := range common.GetTlsCertificateSdsSecretConfigs() {
		s.sdsNames = append(s.sdsNames, c.GetName())
	}
	if len(s.static) == 0 && len(s.sdsNames) == 0 {
		return nil, fmt.Errorf("%s: invalid: no certificate (tls_certificates or tls_certificate_sds_secret_configs)", cpath)
	}
	v, err := newValidator(common.GetValidationContext(), read, cpath+".validation_context", x509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	v.required = ctx.GetRequireClientCertificate().GetValue()
	if v.required && common.GetValidationContext() == nil {
		return nil, fmt.Errorf("%s.require_client_certificate: invalid: requires a validation_context", path)
	}
	s.validator = v
	return s, nil
}

// SecretNames are the SDS secrets the context needs.
func (s *Server) SecretNames() []string { return slices.Clone(s.sdsNames) }

// Config returns the server configuration; each handshake picks the
// certificate and ALPN protocol as Envoy does.
func (s *Server) Config() *tls.Config {
	return &tls.Config{
		MinVersion: s.lo,
		MaxVersion: s.hi,
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			cert, err := s.selectCertificate(hello)
			if err != nil {
				return nil, err
			}
			cfg := &tls.Config{
				MinVersion:       s.lo,
				MaxVersion:       s.hi,
				Certificates:     []tls.Certificate{*cert},
				NextProtos:       negotiable(s.alpn, hello.SupportedProtos),
				VerifyConnection: s.validator.verify,
			}
			if s.validator.roots != nil || s.validator.required {
				cfg.ClientAuth = tls.RequestClientCert
				if s.validator.required {
					cfg.ClientAuth = tls.RequireAnyClientCert
				}
			}
			return cfg, nil
		},
	}
}

// negotiable returns the server's ALPN list when it shares a protocol
// with the client's, else nil: BoringSSL then continues without ALPN
// where Go would fail the handshake.
func negotiable(server, client []string) []string {
	for _, p := range server {
		if slices.Contains(client, p) {
			return server
		}
	}
	return nil
}

// certificates returns the context's certificates: static ones, then
// those of its SDS secrets that have arrived, in configuration order.
func (s *Server) certificates() []*tls.Certificate {
	out := make([]*tls.Certificate, 0, len(s.static)+len(s.sdsNames))
	for i := range s.static {
		out = append(out, &s.static[i])
	}
	for _, name := range s.sdsNames {
		if c, ok := s.secrets.Certificate(name); ok {
			out = append(out, c)
		}
	}
	return out
}

var errNoCertificate = errors.New("no TLS certificate available (SDS secret not received)")

// selectCertificate is Envoy's choice among several certificates: those
// matching the SNI exactly, else by wildcard, else all; then the first
// ECDSA one the client supports, else the first the client supports,
// else the first.
func (s *Server) selectCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	all := s.certificates()
	if len(all) == 0 {
		return nil, errNoCertificate
	}
	candidates := all
	if sni := strings.ToLower(hello.ServerName); sni != "" {
		if exact := filterCerts(all, func(n string) bool { return strings.EqualFold(n, sni) }); len(exact) > 0 {
			candidates = exact
		} else if wild := filterCerts(all, func(n string) bool { return wildcardMatch(n, sni) }); len(wild) > 0 {
			candidates = wild
		}
	}
	// Compatibility is about key types and signature algorithms only: the
	// name was dealt with above.
	anyName := *hello
	anyName.ServerName = ""
	var supported []*tls.Certificate
	for _, c := range candidates {
		if anyName.SupportsCertificate(c) == nil {
			supported = append(supported, c)
		}
	}
	for _, c := range supported {
		if _, ok := c.PrivateKey.(*ecdsa.PrivateKey); ok {
			return c, nil
		}
	}
	for _, c := range supported {
		if _, ok := c.PrivateKey.(*rsa.PrivateKey); ok {
			return c, nil
		}
	}
	if len(supported) > 0 {
		return supported[0], nil
	}
	return candidates[0], nil
}

// filterCerts keeps the certificates with a DNS SAN (or, without SANs,
// the common name) accepted by keep.
func filterCerts(certs []*tls.Certificate, keep func(name string) bool) []*tls.Certificate {
	var out []*tls.Certificate
	for _, c := range certs {
		leaf := c.Leaf
		if leaf == nil && len(c.Certificate) > 0 {
			parsed, err := x509.ParseCertificate(c.Certificate[0])
			if err != nil {
				continue
			}
			leaf = parsed
		}
		if leaf == nil {
			continue
		}
		names := leaf.DNSNames
		if len(names) == 0 && leaf.Subject.CommonName != "" {
			names = []string{leaf.Subject.CommonName}
		}
		if slices.ContainsFunc(names, keep) {
			out = append(out, c)
		}
	}
	return out
}

// ParseSecret loads the certificate of an SDS Secret, or says why it is
// unusable (the data plane NACKs it).
func ParseSecret(sec *tlsv3.Secret, read ReadFile) (*tls.Certificate, error) {
	tc := sec.GetTlsCertificate()
	if tc == nil {
		return nil, errors.New("tls_certificate: not set (the only secret type implemented by the test data plane)")
	}
	cert, err := keyPair(tc, read, "tls_certificate")
	if err != nil {
		return nil, err
	}
	return &cert, nil
}
