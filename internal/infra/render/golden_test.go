package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

var update = flag.Bool("update", false, "rewrite the golden *.out.yaml files")

// goldenNamespace is the control plane namespace of the golden cases.
const goldenNamespace = "envoy-gateway-system"

// TestGolden renders every testdata/*.in.yaml (an ir.Infra) with the
// default options and compares the objects with *.out.yaml.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			got := renderFile(t, in)
			out := strings.TrimSuffix(in, ".in.yaml") + ".out.yaml"
			if *update {
				if err := os.WriteFile(out, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("rendered objects differ from %s (-want +got):\n%s", out, diff)
			}
		})
	}
}

// renderFile renders one golden input into a multi-document YAML stream.
func renderFile(t *testing.T, path string) []byte {
	t.Helper()
	infra := readInfra(t, path)
	objs, err := Render(infra, DefaultOptions(goldenNamespace))
	if err != nil {
		t.Fatalf("Render: %v", err)
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

func readInfra(t *testing.T, path string) *ir.Infra {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	infra := &ir.Infra{}
	if err := yaml.UnmarshalStrict(b, infra); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return infra
}
