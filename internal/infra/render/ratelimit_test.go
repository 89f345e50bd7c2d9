package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/golden"
)

// TestRateLimitGolden renders every testdata/ratelimit/*.in.yaml (a static
// rateLimit section, defaults applied) with the default options and
// compares the objects with *.out.yaml.
func TestRateLimitGolden(t *testing.T) {
	dir := filepath.Join("testdata", "ratelimit")
	for _, name := range golden.Cases(t, dir, ".in.yaml") {
		t.Run(name, func(t *testing.T) {
			base := filepath.Join(dir, name)
			golden.Compare(t, base+".out.yaml", renderRateLimitFile(t, base+".in.yaml"))
		})
	}
}

func renderRateLimitFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rl := &egv1a1.RateLimit{}
	if err := yaml.UnmarshalStrict(b, rl); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	objs, err := RenderRateLimit(rl, DefaultOptions(goldenNamespace))
	if err != nil {
		t.Fatalf("RenderRateLimit: %v", err)
	}
	var buf bytes.Buffer
	for i, obj := range objs.Items() {
		if i > 0 {
			buf.WriteString("---\n")
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
	}
	return buf.Bytes()
}

func TestRenderRateLimitRejects(t *testing.T) {
	valid := func() *egv1a1.RateLimit {
		return &egv1a1.RateLimit{
			Backend:    egv1a1.RateLimitBackend{Redis: &egv1a1.RateLimitRedis{URL: "redis:6379"}},
			Deployment: &egv1a1.RateLimitDeployment{Image: "ratelimit:v1"},
		}
	}
	if _, err := RenderRateLimit(valid(), DefaultOptions(goldenNamespace)); err != nil {
		t.Fatalf("valid configuration: %v", err)
	}
	noRedis := valid()
	noRedis.Backend.Redis = nil
	noImage := valid()
	noImage.Deployment.Image = ""
	cases := []struct {
		name string
		rl   *egv1a1.RateLimit
		opts Options
		want string
	}{
		{"nil", nil, DefaultOptions(goldenNamespace), "backend.redis"},
		{"no redis", noRedis, DefaultOptions(goldenNamespace), "backend.redis"},
		{"no image", noImage, DefaultOptions(goldenNamespace), "deployment.image"},
		{"bad namespace", valid(), DefaultOptions("Not_A_Namespace"), "namespace"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RenderRateLimit(tc.rl, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("RenderRateLimit error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestRateLimitXdsServerSAN: with a server name to check, the service is
// told to check it.
func TestRateLimitXdsServerSAN(t *testing.T) {
	opts := DefaultOptions(goldenNamespace)
	opts.XdsServerSAN = "xds.example.com"
	objs, err := RenderRateLimit(&egv1a1.RateLimit{
		Backend:    egv1a1.RateLimitBackend{Redis: &egv1a1.RateLimitRedis{URL: "redis:6379"}},
		Deployment: &egv1a1.RateLimitDeployment{Image: "ratelimit:v1"},
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range objs.Deployment.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "CONFIG_GRPC_XDS_SERVER_TLS_SAN" && e.Value == "xds.example.com" {
			return
		}
	}
	t.Fatal("CONFIG_GRPC_XDS_SERVER_TLS_SAN is not set to the xDS server SAN")
}
