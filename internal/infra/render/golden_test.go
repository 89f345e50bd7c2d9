package render

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/golden"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// goldenNamespace is the control plane namespace of the golden cases.
const goldenNamespace = "envoy-gateway-system"

// TestGolden renders every testdata/*.in.yaml (an ir.Infra) with the
// default options and compares the objects with *.out.yaml.
func TestGolden(t *testing.T) {
	for _, name := range golden.Cases(t, "testdata", ".in.yaml") {
		t.Run(name, func(t *testing.T) {
			got := renderFile(t, filepath.Join("testdata", name+".in.yaml"))
			golden.Compare(t, filepath.Join("testdata", name+".out.yaml"), got)
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
