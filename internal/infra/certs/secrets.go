package certs

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// Secret names and keys.
const (
	// ServerSecretName is the xDS server's Secret, mounted by config/manager
	// at /certs/xds/server.
	ServerSecretName = "envoy-gateway-xds-server"
	// ClientSecretName is the Envoy proxies' Secret, mounted by every fleet
	// Deployment at render.ClientCertDir.
	ClientSecretName = render.DefaultClientCertSecret
	// CAKey is the Secret key of the CA certificate, next to
	// corev1.TLSCertKey (tls.crt) and corev1.TLSPrivateKeyKey (tls.key).
	CAKey = "ca.crt"
)

// Certificates are the PEM files of the xDS mutual TLS connection.
type Certificates struct {
	// CACert is the CA both sides trust.
	CACert []byte
	// ServerCert and ServerKey are the xDS server's certificate and key.
	ServerCert []byte
	ServerKey  []byte
	// ClientCert and ClientKey are the proxies' client certificate and key.
	ClientCert []byte
	ClientKey  []byte
}

// Validate checks that no file is missing.
func (c Certificates) Validate() error {
	var errs []error
	for name, b := range map[string][]byte{
		"CA certificate":     c.CACert,
		"server certificate": c.ServerCert,
		"server key":         c.ServerKey,
		"client certificate": c.ClientCert,
		"client key":         c.ClientKey,
	} {
		if len(b) == 0 {
			errs = append(errs, fmt.Errorf("%s is empty", name))
		}
	}
	return errors.Join(errs...)
}

// ErrPartialSecrets is returned when only one of the two Secrets exists:
// the other cannot be made to match it (a new set has a new CA), so both
// must be deleted to generate a new pair.
var ErrPartialSecrets = errors.New("only one of the xDS certificate Secrets exists")

// EnsureSecrets creates the kubernetes.io/tls Secrets ServerSecretName
// (tls.crt, tls.key, ca.crt of the xDS server) and ClientSecretName (the
// same for the proxies) in namespace when neither exists. It never
// overwrites: when both exist it does nothing and returns created=false,
// when only one exists it returns ErrPartialSecrets. It needs get and
// create on Secrets in namespace.
func EnsureSecrets(ctx context.Context, c client.Client, namespace string, certs Certificates) (created bool, err error) {
	if err := certs.Validate(); err != nil {
		return false, err
	}
	server, proxy := serverSecret(namespace, certs), clientSecret(namespace, certs)
	serverExists, err := exists(ctx, c, server)
	if err != nil {
		return false, err
	}
	clientExists, err := exists(ctx, c, proxy)
	if err != nil {
		return false, err
	}
	switch {
	case serverExists && clientExists:
		return false, nil
	case serverExists || clientExists:
		return false, fmt.Errorf("%w in namespace %s (server: %t, client: %t): delete it to generate a new pair",
			ErrPartialSecrets, namespace, serverExists, clientExists)
	}
	for _, s := range []*corev1.Secret{server, proxy} {
		if err := c.Create(ctx, s); err != nil {
			return false, fmt.Errorf("creating secret %s/%s: %w", s.Namespace, s.Name, err)
		}
	}
	return true, nil
}

func exists(ctx context.Context, c client.Client, s *corev1.Secret) (bool, error) {
	err := c.Get(ctx, client.ObjectKeyFromObject(s), &corev1.Secret{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("reading secret %s/%s: %w", s.Namespace, s.Name, err)
	}
}

func serverSecret(namespace string, certs Certificates) *corev1.Secret {
	return tlsSecret(namespace, ServerSecretName, certs.ServerCert, certs.ServerKey, certs.CACert)
}

func clientSecret(namespace string, certs Certificates) *corev1.Secret {
	return tlsSecret(namespace, ClientSecretName, certs.ClientCert, certs.ClientKey, certs.CACert)
}

func tlsSecret(namespace, name string, cert, key, ca []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels: map[string]string{
				render.LabelManagedBy: render.ManagedBy,
				render.LabelComponent: "xds-certificates",
			},
		},
		Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       cert,
			corev1.TLSPrivateKeyKey: key,
			CAKey:                   ca,
		},
	}
}
