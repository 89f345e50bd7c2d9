package translator

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// addSecrets adds a Secret per certificate referenced by an emitted filter
// chain. A secret that fails validation is left out (the chains naming it
// then wait for it, as Envoy does for any SDS secret it has not received).
func (t *translation) addSecrets() {
	for _, c := range t.secrets {
		s := Secret(c.Name, c.Certificate, c.PrivateKey)
		if err := s.ValidateAll(); err != nil {
			t.leaveOut("secret", "secret", c.Name, err)
			continue
		}
		t.out.Secrets = append(t.out.Secrets, s)
	}
}

// Secret is a TLS certificate served over SDS.
func Secret(name, certificatePEM, keyPEM string) *tlsv3.Secret {
	return &tlsv3.Secret{
		Name: name,
		Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: certificatePEM}},
			PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: keyPEM}},
		}},
	}
}
