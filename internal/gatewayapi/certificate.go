package gatewayapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// certificateResult is the outcome of checking one Secret, cached because
// several listeners may share a certificate and parsing keys is not free.
type certificateResult struct {
	cert *ir.Certificate
	err  *listenerError
}

// resolveCertificates resolves the certificateRefs of a listener terminating TLS
// defined by from (a Gateway or a ListenerSet). It returns the valid
// certificates and the problems with the others.
func (t *translator) resolveCertificates(from objectRef, cfg *gwapiv1.ListenerTLSConfig) ([]*ir.Certificate, listenerErrors) {
	var errs listenerErrors
	if cfg == nil || len(cfg.CertificateRefs) == 0 {
		errs.add(errorf(gwapiv1.ListenerReasonInvalidCertificateRef, "A listener terminating TLS needs tls.certificateRefs"))
		return nil, errs
	}
	var certs []*ir.Certificate
	for i := range cfg.CertificateRefs {
		cert, err := t.resolveCertificate(from, &cfg.CertificateRefs[i])
		errs.add(err)
		if cert != nil && !containsCertificate(certs, cert.Name) {
			certs = append(certs, cert)
		}
	}
	return certs, errs
}

func containsCertificate(certs []*ir.Certificate, name string) bool {
	for _, c := range certs {
		if c.Name == name {
			return true
		}
	}
	return false
}

// resolveCertificate checks kind, permission, existence and content, in that
// order, so that RefNotPermitted never reveals whether a Secret exists.
func (t *translator) resolveCertificate(from objectRef, ref *gwapiv1.SecretObjectReference) (*ir.Certificate, *listenerError) {
	const invalid = gwapiv1.ListenerReasonInvalidCertificateRef
	group, kind := "", kindSecret
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	if group != "" || kind != kindSecret {
		return nil, errorf(invalid, "certificateRef %s/%s %q is not a core Secret", group, kind, ref.Name)
	}
	ns := from.namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	key := keyOf(ns, string(ref.Name))
	if !t.idx.refAllowed(from, objectRef{group: "", kind: kindSecret, namespace: ns, name: string(ref.Name)}) {
		return nil, errorf(gwapiv1.ListenerReasonRefNotPermitted,
			"certificateRef to Secret %s is not permitted by any ReferenceGrant", key)
	}
	if r, ok := t.certificates[key]; ok {
		return r.cert, r.err
	}
	r := certificateResult{}
	r.cert, r.err = certificateFromSecret(t.idx.secrets[key], key.String())
	t.certificates[key] = r
	return r.cert, r.err
}

// certificateFromSecret validates a kubernetes.io/tls Secret holding a PEM
// certificate chain and the matching private key.
func certificateFromSecret(s *corev1.Secret, name string) (*ir.Certificate, *listenerError) {
	const invalid = gwapiv1.ListenerReasonInvalidCertificateRef
	if s == nil {
		return nil, errorf(invalid, "Secret %s not found", name)
	}
	if s.Type != corev1.SecretTypeTLS {
		return nil, errorf(invalid, "Secret %s is of type %q, not %q", name, s.Type, corev1.SecretTypeTLS)
	}
	crt, key := s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey]
	if len(crt) == 0 || len(key) == 0 {
		return nil, errorf(invalid, "Secret %s must hold %s and %s", name, corev1.TLSCertKey, corev1.TLSPrivateKeyKey)
	}
	pair, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return nil, errorf(invalid, "Secret %s does not hold a valid PEM certificate and matching key: %s", name, err)
	}
	if err := envoyLeafKey(pair.Leaf); err != nil {
		return nil, errorf(invalid, "Secret %s: %s", name, err)
	}
	return &ir.Certificate{Name: name, Certificate: string(crt), PrivateKey: string(key)}, nil
}

// envoyLeafKey rejects a leaf certificate key Envoy refuses to serve: an
// RSA key shorter than 2048 bits, or an ECDSA key on a curve other than
// P-256, P-384 and P-521.
func envoyLeafKey(leaf *x509.Certificate) error {
	if leaf == nil {
		return nil
	}
	switch k := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("the certificate's RSA key has %d bits; Envoy needs 2048 or more", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return fmt.Errorf("the certificate's ECDSA curve %s is not supported by Envoy (P-256, P-384 or P-521)", k.Curve.Params().Name)
		}
	}
	return nil
}
