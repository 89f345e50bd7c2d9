package render

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Defaults of Options, matching config/manager (the xDS Service
// "envoy-gateway-controller-manager", port 18000) and config/certgen (the
// client certificate Secret "envoy-xds-client").
const (
	// DefaultXdsServiceName is the control plane's xDS Service after the
	// kustomize name prefix.
	DefaultXdsServiceName = "envoy-gateway-controller-manager"
	// DefaultXdsPort is the xDS Service port.
	DefaultXdsPort uint32 = 18000
	// DefaultClientCertSecret is the kubernetes.io/tls Secret holding the
	// Envoy xDS client certificate (tls.crt, tls.key) and the CA (ca.crt).
	DefaultClientCertSecret = "envoy-xds-client"
)

// Options are the settings shared by every fleet.
type Options struct {
	// Namespace is where the objects of every fleet live: the control
	// plane's namespace.
	Namespace string
	// XdsHost is the DNS name (or IP address) of the control plane's xDS
	// Service, as Envoy resolves it.
	XdsHost string
	// XdsPort is the port of the xDS Service.
	XdsPort uint32
	// XdsServerSAN, when set, is the DNS subject alternative name Envoy
	// requires in the xDS server certificate; when empty Envoy only checks
	// that the certificate chains to the CA in the client Secret.
	XdsServerSAN string
	// ClientCertSecret is the kubernetes.io/tls Secret (tls.crt, tls.key,
	// ca.crt) Envoy presents to, and verifies, the xDS server with.
	ClientCertSecret string
}

// DefaultOptions returns the Options of a control plane installed by
// config/default in namespace: the xDS Service
// "envoy-gateway-controller-manager.<namespace>.svc" on port 18000 and the
// client Secret "envoy-xds-client".
func DefaultOptions(namespace string) Options {
	return Options{
		Namespace:        namespace,
		XdsHost:          DefaultXdsServiceName + "." + namespace + ".svc",
		XdsPort:          DefaultXdsPort,
		ClientCertSecret: DefaultClientCertSecret,
	}
}

// Validate checks that the options can render valid objects.
func (o Options) Validate() error {
	var errs []error
	if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("namespace %q: %v", o.Namespace, msgs))
	}
	if o.XdsHost == "" {
		errs = append(errs, errors.New("xDS host is empty"))
	}
	if o.XdsPort == 0 || o.XdsPort > 65535 {
		errs = append(errs, fmt.Errorf("xDS port %d is not in 1-65535", o.XdsPort))
	}
	if msgs := validation.IsDNS1123Subdomain(o.ClientCertSecret); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("client certificate secret %q: %v", o.ClientCertSecret, msgs))
	}
	return errors.Join(errs...)
}
