package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	upstream "sigs.k8s.io/gateway-api/conformance"

	"github.com/envoygw/envoy-gateway/internal/crypto"
	"github.com/envoygw/envoy-gateway/internal/infra/certs"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// suiteNamespaces are the namespaces of the suite's base workloads.
var suiteNamespaces = []string{"gateway-conformance-infra", "gateway-conformance-app-backend", "gateway-conformance-web-backend"}

// TestHarnessRunsTheCluster starts the harness and checks what the
// cluster plays before any Gateway exists: every workload of the suite's
// base manifests (echo servers in all their modes, CoreDNS) runs and
// becomes Ready, and the control plane's xDS endpoint is reachable as the
// rendered bootstrap reaches it: through the cluster DNS name of its
// Service and mutual TLS with the client Secret that certgen created.
func TestHarnessRunsTheCluster(t *testing.T) {
	if os.Getenv(envRun) != "1" {
		t.Skipf("set %s=1 to run the harness (make conformance)", envRun)
	}
	h, err := StartHarness(t.Context(), HarnessOptions{Log: openLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Stop(); err != nil {
			t.Errorf("stopping the harness: %v", err)
		}
	})
	applyBaseWorkloads(t, h.Client)
	err = wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		return allPodsReady(ctx, h.Client)
	})
	if err != nil {
		t.Fatalf("the base workloads did not become Ready: %v", err)
	}
	checkXdsReachable(t, h)
	if p := h.Cluster.Problems(); len(p) > 0 {
		t.Errorf("cluster problems: %v", p)
	}
}

// applyBaseWorkloads creates every object of the base manifests but the
// Gateways, and the Secrets the suite creates for the TLS backends.
func applyBaseWorkloads(t *testing.T, c client.Client) {
	data, err := upstream.Manifests.ReadFile("base/manifests.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if len(u.Object) == 0 || u.GetKind() == "Gateway" {
			continue
		}
		if err := c.Create(t.Context(), &u); err != nil {
			t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
	gen, err := crypto.Generate(crypto.Options{ServerDNSNames: []string{"abc.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ ns, name string }{
		{"gateway-conformance-infra", "tls-checks-certificate"},
		{"gateway-conformance-infra", "tls-passthrough-checks-certificate"},
		{"gateway-conformance-app-backend", "tls-passthrough-checks-certificate"},
	} {
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: s.name}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{corev1.TLSCertKey: gen.Server.CertPEM, corev1.TLSPrivateKeyKey: gen.Server.KeyPEM},
		}
		if err := c.Create(t.Context(), secret); err != nil {
			t.Fatal(err)
		}
	}
}

// allPodsReady reports whether the suite's namespaces have Pods and all
// are Ready.
func allPodsReady(ctx context.Context, c client.Client) (bool, error) {
	for _, ns := range suiteNamespaces {
		var pods corev1.PodList
		if err := c.List(ctx, &pods, client.InNamespace(ns)); err != nil {
			return false, err
		}
		if len(pods.Items) == 0 {
			return false, nil
		}
		for _, p := range pods.Items {
			ready := false
			for _, cond := range p.Status.Conditions {
				ready = ready || (cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue)
			}
			if !ready {
				return false, nil
			}
		}
	}
	return true, nil
}

// checkXdsReachable resolves the bootstrap's xDS host from an Envoy
// fleet's namespace and completes a TLS handshake with the client Secret.
func checkXdsReachable(t *testing.T, h *Harness) {
	ns := controlPlaneNamespace()
	host := render.DefaultOptions(ns).XdsHost
	addrs, err := h.Cluster.Resolver(ns).LookupNetIP(t.Context(), "ip4", host)
	if err != nil || len(addrs) != 1 {
		t.Fatalf("resolving %s: %v %v", host, addrs, err)
	}
	var s corev1.Secret
	if err := h.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: certs.ClientSecretName}, &s); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.Data[certs.CAKey])
	addr := netip.AddrPortFrom(addrs[0], uint16(render.DefaultXdsPort)).String()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", addr, &tls.Config{
		ServerName: host, RootCAs: pool, Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS13,
	})
	if err != nil {
		t.Fatalf("mutual TLS to the xDS Service %s (%s): %v", host, addr, err)
	}
	defer func() { _ = conn.Close() }()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Errorf("xDS negotiated %q, want h2", p)
	}
}
