package ir

import (
	"errors"
	"fmt"
)

// UpstreamTLS is the TLS a proxy originates to a cluster's endpoints: the
// SNI it sends and how it verifies the server's certificate.
type UpstreamTLS struct {
	// SNI is the server name sent in the handshake.
	SNI string `json:"sni"`
	// CACertificate is the PEM bundle of trusted CAs; empty when SystemCA
	// is set.
	CACertificate string `json:"caCertificate,omitempty"`
	// SystemCA trusts the proxy's system CA bundle instead of CACertificate.
	SystemCA bool `json:"systemCA,omitempty"`
	// SubjectAltNames are the names the server certificate must carry (any
	// one of them); never empty.
	SubjectAltNames []SubjectAltName `json:"subjectAltNames"`
	// ClientCertificate, when set, is presented to the server.
	ClientCertificate *Certificate `json:"clientCertificate,omitempty"`
}

// SANType is the kind of a subject alternative name.
type SANType string

const (
	// SANTypeDNS is a DNS name, matched exactly.
	SANTypeDNS SANType = "DNS"
	// SANTypeURI is a URI, matched exactly.
	SANTypeURI SANType = "URI"
)

// SubjectAltName is one subject alternative name a certificate must carry.
type SubjectAltName struct {
	Type  SANType `json:"type"`
	Value string  `json:"value"`
}

func (u *UpstreamTLS) validate() error {
	if u.SNI == "" {
		return errors.New("sni is empty")
	}
	if u.SystemCA == (u.CACertificate != "") {
		return errors.New("exactly one of caCertificate and systemCA is required")
	}
	if len(u.SubjectAltNames) == 0 {
		return errors.New("subjectAltNames is empty")
	}
	for i, s := range u.SubjectAltNames {
		if (s.Type != SANTypeDNS && s.Type != SANTypeURI) || s.Value == "" {
			return fmt.Errorf("subjectAltNames[%d]: a type DNS or URI and a value are required", i)
		}
	}
	if c := u.ClientCertificate; c != nil && (c.Name == "" || len(c.Certificate) == 0 || len(c.PrivateKey) == 0) {
		return errors.New("clientCertificate: name, certificate and privateKey are required")
	}
	return nil
}
