package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

const header = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"

func TestLoadWithoutPathGivesDefaults(t *testing.T) {
	cfg, err := Load("")
	if err != nil {
		t.Fatalf("Load(\"\") error: %v", err)
	}
	want := &egv1a1.EnvoyGateway{
		Gateway: &egv1a1.GatewayConfig{ControllerName: egv1a1.DefaultControllerName},
		Provider: &egv1a1.EnvoyGatewayProvider{
			Type:       egv1a1.ProviderTypeKubernetes,
			BatchDelay: &metav1.Duration{Duration: DefaultBatchDelay},
		},
		XdsServer: &egv1a1.XdsServer{
			Address: DefaultXdsAddress,
			Port:    DefaultXdsPort,
			TLS:     &egv1a1.XdsServerTLS{CertFile: DefaultXdsCertFile, KeyFile: DefaultXdsKeyFile, CAFile: DefaultXdsCAFile},
		},
		Admin:   &egv1a1.Admin{Address: DefaultAdminAddress},
		Logging: &egv1a1.Logging{Level: egv1a1.LogLevelInfo},
	}
	want.APIVersion = "gateway.envoyproxy.io/v1alpha1"
	want.Kind = "EnvoyGateway"
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Fatalf("defaults mismatch (-want +got):\n%s", diff)
	}
}

func TestParseKeepsExplicitValues(t *testing.T) {
	cfg, err := Parse([]byte(header + `
gateway:
  controllerName: example.com/gateway
provider:
  type: File
  file:
    paths: [/etc/gw]
  batchDelay: 250ms
xdsServer:
  address: 127.0.0.1
  port: 18001
  plaintext: true
admin:
  address: 127.0.0.1:19001
  enablePprof: true
logging:
  level: debug
`))
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	switch {
	case cfg.Gateway.ControllerName != "example.com/gateway":
		t.Errorf("controllerName = %q", cfg.Gateway.ControllerName)
	case cfg.Provider.Type != egv1a1.ProviderTypeFile || cfg.Provider.File.Paths[0] != "/etc/gw":
		t.Errorf("provider = %+v", cfg.Provider)
	case cfg.Provider.File.StateDir == "":
		t.Errorf("file stateDir not defaulted")
	case cfg.XdsServer.Port != 18001 || !cfg.XdsServer.Plaintext || cfg.XdsServer.TLS != nil:
		t.Errorf("xdsServer = %+v", cfg.XdsServer)
	case cfg.Provider.BatchDelay.Duration != 250*time.Millisecond:
		t.Errorf("provider.batchDelay = %v", cfg.Provider.BatchDelay)
	case cfg.Admin.Address != "127.0.0.1:19001" || !cfg.Admin.EnablePprof:
		t.Errorf("admin = %+v", cfg.Admin)
	case cfg.Logging.Level != egv1a1.LogLevelDebug:
		t.Errorf("logging = %+v", cfg.Logging)
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		// every substring must appear in the error
		want []string
	}{
		{"empty document", "", []string{"empty"}},
		{"not a mapping", "- a\n- b\n", []string{"mapping"}},
		{"missing apiVersion", "kind: EnvoyGateway\n", []string{"apiVersion", "gateway.envoyproxy.io/v1alpha1"}},
		{"wrong kind", "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Gateway\n", []string{"kind", "EnvoyGateway"}},
		{"invalid yaml", header + "provider: [\n", []string{"invalid YAML"}},
		{"unknown top-level field", header + "providr: {}\n", []string{`providr: unknown field "providr"`, "provider"}},
		{"unknown nested field", header + "xdsServer:\n  prot: 1\n", []string{"xdsServer.prot", "address, plaintext, port, tls"}},
		{"wrong type", header + "xdsServer:\n  port: eighteen\n", []string{"xdsServer.port", "want integer"}},
		{"wrong type for object", header + "provider: File\n", []string{"provider", "want object"}},
		{"bogus provider", header + "provider:\n  type: Bogus\n", []string{"provider.type", `"Bogus"`, `"File", "Kubernetes"`}},
		{"file provider without paths", header + "provider:\n  type: File\n", []string{"provider.file.paths", "Required"}},
		{"file provider empty path", header + "provider:\n  type: File\n  file:\n    paths: ['']\n", []string{"provider.file.paths[0]"}},
		{"bad log level", header + "logging:\n  level: loud\n", []string{"logging.level", `"loud"`, `"debug"`}},
		{"bad xds address", header + "xdsServer:\n  address: nowhere\n", []string{"xdsServer.address", "IP address"}},
		{"bad xds port", header + "xdsServer:\n  port: 70000\n", []string{"xdsServer.port", "65535"}},
		{"plaintext off loopback", header + "xdsServer:\n  plaintext: true\n", []string{"xdsServer.plaintext", "loopback"}},
		{"plaintext with tls", header + "xdsServer:\n  address: 127.0.0.1\n  plaintext: true\n  tls:\n    certFile: a\n", []string{"xdsServer.tls", "plaintext"}},
		{"zero batch delay", header + "provider:\n  batchDelay: 0s\n", []string{"provider.batchDelay", "more than 0"}},
		{"long batch delay", header + "provider:\n  batchDelay: 1m\n", []string{"provider.batchDelay", "at most 10s"}},
		{"batch delay not a duration", header + "provider:\n  batchDelay: soon\n", []string{"soon"}},
		{"bad admin address", header + "admin:\n  address: localhost\n", []string{"admin.address", "host:port"}},
		{"bad admin host", header + "admin:\n  address: example.com:1\n", []string{"admin.address", "IP address"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadResolvesFilePathsRelativeToConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "eg.yaml")
	doc := header + "provider:\n  type: File\n  file:\n    paths: [resources, /abs]\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load error: %v", err)
	}
	want := []string{filepath.Join(dir, "resources"), "/abs"}
	if diff := cmp.Diff(want, cfg.Provider.File.Paths); diff != "" {
		t.Fatalf("paths (-want +got):\n%s", diff)
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}
