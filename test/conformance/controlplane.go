package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/config"
	"github.com/envoygw/envoy-gateway/internal/controlplane"
	"github.com/envoygw/envoy-gateway/internal/crypto"
	"github.com/envoygw/envoy-gateway/internal/infra/certs"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
	"github.com/envoygw/envoy-gateway/test/cluster"
)

// Ports of the control plane, as config/manager serves them.
const (
	xdsPort   = 18000
	adminPort = 19000
)

// controlPlaneInstall is the control plane as `make deploy` installs it,
// minus its own Pod: the xDS Secrets made by our certgen code, the xDS
// Service, the server Secret "mounted" as files, and the address the
// control plane serves on (its "Pod IP" in the cluster's Network).
type controlPlaneInstall struct {
	namespace string
	ip        string
	// serverCertDir holds tls.crt, tls.key and ca.crt of the server Secret.
	serverCertDir string
}

// installControlPlane creates the xDS Secrets as `envoy-gateway certgen
// --kubernetes` does (the certgen Job's DNS names for the namespace), the
// xDS Service with an EndpointSlice pointing at the control plane's
// address (the control plane runs in this process, not in a Pod the
// kubelet runs, so its endpoint is registered like an external one), and
// writes the server Secret's files under dir.
func installControlPlane(ctx context.Context, c client.Client, network *cluster.Network,
	dir string) (*controlPlaneInstall, error) {
	inst := &controlPlaneInstall{
		namespace:     controlPlaneNamespace(),
		ip:            network.ControlPlaneIP().String(),
		serverCertDir: filepath.Join(dir, "xds-server"),
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: inst.namespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	if err := certgen(ctx, c, inst.namespace); err != nil {
		return nil, err
	}
	if err := inst.mountServerSecret(ctx, c); err != nil {
		return nil, err
	}
	return inst, inst.createXdsService(ctx, c)
}

// certgen does what `envoy-gateway certgen --kubernetes` does in the
// certgen Job (config/certgen).
func certgen(ctx context.Context, c client.Client, ns string) error {
	svc := render.DefaultXdsServiceName
	generated, err := crypto.Generate(crypto.Options{ServerDNSNames: []string{
		svc, svc + "." + ns, svc + "." + ns + ".svc", svc + "." + ns + ".svc." + cluster.ClusterDomain,
	}})
	if err != nil {
		return err
	}
	_, err = certs.EnsureSecrets(ctx, c, ns, certs.Certificates{
		CACert:     generated.CA.CertPEM,
		ServerCert: generated.Server.CertPEM, ServerKey: generated.Server.KeyPEM,
		ClientCert: generated.Client.CertPEM, ClientKey: generated.Client.KeyPEM,
	})
	return err
}

// mountServerSecret writes the server Secret's keys as files, as the
// control plane's volume mount does.
func (inst *controlPlaneInstall) mountServerSecret(ctx context.Context, c client.Client) error {
	var s corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: inst.namespace, Name: certs.ServerSecretName}, &s); err != nil {
		return fmt.Errorf("reading the xDS server Secret: %w", err)
	}
	if err := os.MkdirAll(inst.serverCertDir, 0o700); err != nil {
		return err
	}
	for _, k := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey, certs.CAKey} {
		if err := os.WriteFile(filepath.Join(inst.serverCertDir, k), s.Data[k], 0o600); err != nil {
			return err
		}
	}
	return nil
}

// createXdsService creates the xDS Service of config/manager and its
// EndpointSlice.
func (inst *controlPlaneInstall) createXdsService(ctx context.Context, c client.Client) error {
	name := render.DefaultXdsServiceName
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: inst.namespace, Name: name},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Name: "xds", Port: xdsPort, TargetPort: intstr.FromInt32(xdsPort), Protocol: corev1.ProtocolTCP},
			{Name: "admin", Port: adminPort, TargetPort: intstr.FromInt32(adminPort), Protocol: corev1.ProtocolTCP},
		}},
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: inst.namespace, Name: name + "-controlplane", Labels: map[string]string{
			discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: "conformance-harness",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses: []string{inst.ip}, Conditions: discoveryv1.EndpointConditions{Ready: new(true)},
		}},
		Ports: []discoveryv1.EndpointPort{
			{Name: new("xds"), Port: new(int32(xdsPort)), Protocol: new(corev1.ProtocolTCP)},
			{Name: new("admin"), Port: new(int32(adminPort)), Protocol: new(corev1.ProtocolTCP)},
		},
	}
	for _, o := range []client.Object{svc, slice} {
		if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating the xDS Service: %w", err)
		}
	}
	return nil
}

// newControlPlane builds our control plane as config/manager configures
// it: the Kubernetes provider, xDS with mutual TLS from the server
// Secret's files on port 18000 and the admin listener on 19000, both on
// the control plane's address.
func (inst *controlPlaneInstall) newControlPlane(cfg *rest.Config,
	log logr.Logger) (*controlplane.ControlPlane, error) {
	staticCfg, err := config.Parse(fmt.Appendf(nil, `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
gateway:
  controllerName: %s
provider:
  type: Kubernetes
xdsServer:
  address: %s
  port: %d
  tls:
    certFile: %s
    keyFile: %s
    caFile: %s
admin:
  address: %s:%d
`, egv1a1.DefaultControllerName, inst.ip, xdsPort,
		filepath.Join(inst.serverCertDir, corev1.TLSCertKey), filepath.Join(inst.serverCertDir, corev1.TLSPrivateKeyKey),
		filepath.Join(inst.serverCertDir, certs.CAKey), inst.ip, adminPort))
	if err != nil {
		return nil, err
	}
	return controlplane.New(controlplane.Options{
		Config:     staticCfg,
		Logger:     log,
		RestConfig: cfg,
		Registry:   prometheus.NewRegistry(),
	})
}
