package dataplane_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/infra/render"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/test/dataplane"
	"github.com/envoygw/envoy-gateway/test/dataplane/internal/testpki"
)

// fakeDNS resolves fixed names.
type fakeDNS map[string]netip.Addr

func (d fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := d[host]; ok {
		return []netip.Addr{a}, nil
	}
	return nil, fmt.Errorf("lookup %s: no such host", host)
}

// expandEnv expands $(VAR) in container args as the kubelet does.
func expandEnv(args []string, env map[string]string) []string {
	re := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = re.ReplaceAllStringFunc(a, func(m string) string {
			if v, ok := env[re.FindStringSubmatch(m)[1]]; ok {
				return v
			}
			return m
		})
	}
	return out
}

// TestRenderedDeployment runs the data plane as the Deployment
// internal/infra/render makes: its container args (with the Pod name
// expanded), the bootstrap from its ConfigMap and the client certificate
// Secret mounted where the Deployment mounts them, over mutual TLS 1.3 to
// our xDS server reached by a DNS name. It checks the readiness listener
// (the health_check filter), the admin /ready and traffic.
func TestRenderedDeployment(t *testing.T) {
	ca := testpki.NewCA(t, "xds-ca")
	serverPair := ca.Issue(t, testpki.Options{CommonName: "xds", DNSNames: []string{"xds.envoy-gateway-system.svc"}})
	clientPair := ca.Issue(t, testpki.Options{CommonName: "envoy", Client: true})
	dir := t.TempDir()
	for name, b := range map[string][]byte{"tls.crt": serverPair.CertPEM, "tls.key": serverPair.KeyPEM, "ca.crt": ca.PEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := server.New(server.Options{Address: "127.0.0.1", Port: 0, Logger: logger(t).WithName("xds-server"),
		TLS: &server.TLSFiles{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key"), CAFile: filepath.Join(dir, "ca.crt")}})
	if err != nil {
		t.Fatal(err)
	}
	port := startServer(t, s)
	b := backend(t, "one")
	serve(t, s, httpIR([]netip.AddrPort{b}, toBackend("r", "*", "/")))

	objs, err := render.Render(&ir.Infra{Proxy: &ir.ProxyInfra{
		Name: fleet, GatewayClass: "eg", Gateways: []string{fleet},
		Config:    ir.ProxyConfig{ServiceType: "ClusterIP", Replicas: 1, Image: "envoy:test", LogLevel: "info"},
		Listeners: []*ir.ProxyListener{{Name: "http", Port: 80, ContainerPort: listenerPort, Protocol: ir.ProtocolTCP}},
	}}, render.Options{
		Namespace: "envoy-gateway-system", XdsHost: "xds.envoy-gateway-system.svc", XdsPort: port,
		XdsServerSAN: "xds.envoy-gateway-system.svc", ClientCertSecret: "envoy-xds-client",
	})
	if err != nil {
		t.Fatal(err)
	}
	container := objs.Deployment.Spec.Template.Spec.Containers[0]
	fs := files{
		render.BootstrapPath:                           []byte(objs.ConfigMap.Data[render.BootstrapKey]),
		filepath.Join(render.ClientCertDir, "tls.crt"): clientPair.CertPEM,
		filepath.Join(render.ClientCertDir, "tls.key"): clientPair.KeyPEM,
		filepath.Join(render.ClientCertDir, "ca.crt"):  ca.PEM,
	}
	pod := podIP()
	p, err := dataplane.Start(context.Background(), dataplane.Options{
		Args:     expandEnv(container.Args, map[string]string{"ENVOY_POD_NAME": "eg-6d4f9-abcde"}),
		ReadFile: fs.read, PodIP: pod, Resolver: fakeDNS{"xds.envoy-gateway-system.svc": netip.MustParseAddr("127.0.0.1")},
		Logger: logger(t).WithName("dataplane"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	waitReady(t, p)
	c := client(t)
	probe := fmt.Sprintf("http://%s%s", netip.AddrPortFrom(pod, uint16(render.ReadyPort)), render.ReadyPath)
	if r, err := get(c, probe, "probe"); err != nil || r.status != 200 || r.header.Get("Server") != "envoy" {
		t.Errorf("readiness probe: %v %+v", err, r)
	}
	other := fmt.Sprintf("http://%s/other", netip.AddrPortFrom(pod, uint16(render.ReadyPort)))
	if r, err := get(c, other, "probe"); err != nil || r.status != 404 {
		t.Errorf("readiness listener, other path: %v %+v, want 404 (no route)", err, r)
	}
	admin := fmt.Sprintf("http://%s/ready", netip.AddrPortFrom(pod, uint16(render.AdminPort)))
	if r, err := get(c, admin, "admin"); err != nil || r.status != 200 || strings.TrimSpace(r.body) != "LIVE" {
		t.Errorf("admin /ready: %v %+v", err, r)
	}
	if r, err := get(c, fmt.Sprintf("http://%s/x", netip.AddrPortFrom(pod, listenerPort)), "a"); err != nil || r.status != 200 {
		t.Errorf("traffic: %v %+v", err, r)
	}
}
