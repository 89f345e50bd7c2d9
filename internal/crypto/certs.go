package crypto

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // SubjectKeyId is an identifier, not a security function (RFC 5280 4.2.1.2).
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Default values of Options.
const (
	DefaultValidity         = 365 * 24 * time.Hour
	DefaultCAValidity       = 5 * 365 * 24 * time.Hour
	DefaultCACommonName     = "envoy-gateway-ca"
	DefaultServerCommonName = "envoy-gateway"
	DefaultClientCommonName = "envoy"
)

// DefaultServerDNSNames are the names the xDS server is reached by: its
// Kubernetes Service in the envoy-gateway-system namespace, and localhost.
var DefaultServerDNSNames = []string{
	"envoy-gateway-controller-manager",
	"envoy-gateway-controller-manager.envoy-gateway-system",
	"envoy-gateway-controller-manager.envoy-gateway-system.svc",
	"envoy-gateway-controller-manager.envoy-gateway-system.svc.cluster.local",
	"localhost",
}

// DefaultServerIPs are loopback addresses, for local development.
var DefaultServerIPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}

// clockSkew backdates NotBefore so a peer with a slightly late clock accepts
// a certificate right after it was made.
const clockSkew = time.Hour

// Options say what certificates Generate makes. Zero values take the defaults.
type Options struct {
	// CACommonName is the subject common name of the CA.
	CACommonName string
	// ServerCommonName is the subject common name of the xDS server certificate.
	ServerCommonName string
	// ServerDNSNames and ServerIPs are the server certificate's SANs; when
	// both are empty, DefaultServerDNSNames and DefaultServerIPs are used.
	ServerDNSNames []string
	ServerIPs      []net.IP
	// ClientCommonName is the subject common name of the proxies' client certificate.
	ClientCommonName string
	// Validity is how long the server and client certificates are valid.
	Validity time.Duration
	// CAValidity is how long the CA is valid.
	CAValidity time.Duration
	// Now is the issuing time; time.Now when nil.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.CACommonName == "" {
		o.CACommonName = DefaultCACommonName
	}
	if o.ServerCommonName == "" {
		o.ServerCommonName = DefaultServerCommonName
	}
	if len(o.ServerDNSNames) == 0 && len(o.ServerIPs) == 0 {
		o.ServerDNSNames = DefaultServerDNSNames
		o.ServerIPs = DefaultServerIPs
	}
	if o.ClientCommonName == "" {
		o.ClientCommonName = DefaultClientCommonName
	}
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if o.CAValidity == 0 {
		o.CAValidity = DefaultCAValidity
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// KeyPair is a PEM certificate and its PEM (PKCS#8) private key.
type KeyPair struct {
	CertPEM []byte
	KeyPEM  []byte
}

// Certificates are the CA and the certificates it issued for xDS mTLS.
type Certificates struct {
	// CA is the certificate authority both sides trust. Its key is kept only
	// in memory: issuing new certificates means generating a new set.
	CA KeyPair
	// Server is the xDS server's certificate (server auth).
	Server KeyPair
	// Client is the proxies' certificate (client auth).
	Client KeyPair
}

// Generate makes a new ECDSA P-256 CA and a server and a client certificate
// signed by it.
func Generate(opts Options) (*Certificates, error) {
	o := opts.withDefaults()
	if o.Validity < 0 || o.CAValidity < 0 {
		return nil, errors.New("validity must not be negative")
	}
	if o.Validity > o.CAValidity {
		return nil, fmt.Errorf("certificate validity %s exceeds the CA validity %s", o.Validity, o.CAValidity)
	}
	now := o.Now()

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating CA key: %w", err)
	}
	caTemplate := &x509.Certificate{
		Subject:               pkix.Name{CommonName: o.CACommonName},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(o.CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	ca, caCert, err := issue(caTemplate, caKey, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("issuing CA: %w", err)
	}

	server, err := issueLeaf(&x509.Certificate{
		Subject:     pkix.Name{CommonName: o.ServerCommonName},
		DNSNames:    o.ServerDNSNames,
		IPAddresses: o.ServerIPs,
		NotBefore:   now.Add(-clockSkew),
		NotAfter:    now.Add(o.Validity),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, caCert, caKey)
	if err != nil {
		return nil, fmt.Errorf("issuing server certificate: %w", err)
	}
	client, err := issueLeaf(&x509.Certificate{
		Subject:     pkix.Name{CommonName: o.ClientCommonName},
		NotBefore:   now.Add(-clockSkew),
		NotAfter:    now.Add(o.Validity),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, caCert, caKey)
	if err != nil {
		return nil, fmt.Errorf("issuing client certificate: %w", err)
	}
	return &Certificates{CA: ca, Server: server, Client: client}, nil
}

// issueLeaf issues a certificate for a new key, signed by parent.
func issueLeaf(template *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, err
	}
	template.KeyUsage = x509.KeyUsageDigitalSignature
	template.BasicConstraintsValid = true
	pair, _, err := issue(template, key, parent, parentKey)
	return pair, err
}

// issue signs template (self-signed when parent is nil) and returns the PEM pair.
func issue(
	template *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey,
) (KeyPair, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return KeyPair{}, nil, err
	}
	template.SerialNumber = serial
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return KeyPair{}, nil, err
	}
	ski := sha1.Sum(pub) //nolint:gosec // see import
	template.SubjectKeyId = ski[:]
	if parent == nil {
		parent, parentKey = template, key
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, &key.PublicKey, parentKey)
	if err != nil {
		return KeyPair{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return KeyPair{}, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return KeyPair{}, nil, err
	}
	return KeyPair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, cert, nil
}
