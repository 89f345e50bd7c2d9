package gatewayapi

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/golden"
	xdstranslator "github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// Test-only documents a golden input may hold besides Kubernetes objects.
const (
	testAPIVersion    = "test.envoygw.io/v1"
	testKindInfra     = "InfraState"
	testKindOptions   = "TranslatorOptions"
	goldenInputSuffix = ".in.yaml"
)

// testInfraState is a test document giving the observed state of a fleet.
type testInfraState struct {
	Fleet          string `json:"fleet"`
	bus.InfraState `json:",inline"`
}

// testOptions is a test document giving the translator options.
type testOptions struct {
	Options `json:",inline"`
}

// parseGoldenInput reads a golden input: Kubernetes objects for
// LoadResources, plus InfraState and TranslatorOptions test documents.
func parseGoldenInput(data []byte) (*Resources, Options, error) {
	docs, err := readDocuments(bytes.NewReader(data))
	if err != nil {
		return nil, Options{}, err
	}
	var objects bytes.Buffer
	states := map[string]bus.InfraState{}
	var opts Options
	for _, d := range docs {
		switch {
		case d.meta.APIVersion == testAPIVersion && d.meta.Kind == testKindInfra:
			var s testInfraState
			if err := yaml.Unmarshal(d.raw, &s); err != nil {
				return nil, opts, fmt.Errorf("document %d: %w", d.index, err)
			}
			states[s.Fleet] = s.InfraState
		case d.meta.APIVersion == testAPIVersion && d.meta.Kind == testKindOptions:
			var o testOptions
			if err := yaml.Unmarshal(d.raw, &o); err != nil {
				return nil, opts, fmt.Errorf("document %d: %w", d.index, err)
			}
			opts = o.Options
		default:
			objects.WriteString("---\n")
			objects.Write(d.raw)
			objects.WriteString("\n")
		}
	}
	res, err := LoadResources(&objects)
	if err != nil {
		return nil, opts, err
	}
	// Golden cases run with the data-plane checks the control plane uses.
	opts.DataPlane = xdstranslator.Checks{}
	if len(states) > 0 {
		res.InfraStates = states
	}
	return res, opts, nil
}

// loadGoldenInput is parseGoldenInput for inputs that must be valid.
func loadGoldenInput(t testing.TB, data []byte) (*Resources, Options) {
	t.Helper()
	res, opts, err := parseGoldenInput(data)
	if err != nil {
		t.Fatalf("loading golden input: %v", err)
	}
	return res, opts
}

// marshalResult is the golden output format: the Result as YAML.
func marshalResult(t testing.TB, r *Result) []byte {
	t.Helper()
	out, err := yaml.Marshal(r)
	if err != nil {
		t.Fatalf("marshaling result: %v", err)
	}
	return out
}

// validateResult runs the IR's own validation on every fleet.
func validateResult(t testing.TB, r *Result) {
	t.Helper()
	for _, f := range r.Fleets {
		if err := f.Infra.Validate(); err != nil {
			t.Errorf("fleet %s: infra IR is invalid: %v", f.Name, err)
		}
		if err := f.Xds.Validate(); err != nil {
			t.Errorf("fleet %s: xds IR is invalid: %v", f.Name, err)
		}
		if f.Name != f.Infra.Proxy.Name {
			t.Errorf("fleet %s: infra proxy is named %s", f.Name, f.Infra.Proxy.Name)
		}
		checkHostnameOwnership(t, f)
	}
}

// checkHostnameOwnership checks the invariant listener isolation gives the
// xDS layer: on one port, each route hostname (virtual host or SNI name)
// belongs to a single listener, so merging listeners never mixes their routes.
func checkHostnameOwnership(t testing.TB, f *bus.Fleet) {
	t.Helper()
	owner := map[string]string{}
	claim := func(port uint32, host, listener string) {
		k := fmt.Sprintf("%d %s", port, host)
		if o, ok := owner[k]; ok && o != listener {
			t.Errorf("fleet %s: hostname %q on port %d is served by listeners %s and %s", f.Name, host, port, o, listener)
		}
		owner[k] = listener
	}
	for _, l := range f.Xds.HTTP {
		for _, r := range l.Routes {
			claim(l.Port, r.Hostname, l.Name)
		}
	}
	for _, l := range f.Xds.TLS {
		for _, r := range l.Routes {
			for _, h := range r.Hostnames {
				claim(l.Port, "tls:"+h, l.Name)
			}
		}
	}
}

// goldenInputs returns the paths of the golden inputs, testdata/*.in.yaml.
func goldenInputs(t testing.TB) []string {
	t.Helper()
	names := golden.Cases(t, "testdata", goldenInputSuffix)
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join("testdata", n+goldenInputSuffix)
	}
	return paths
}

// TestGolden translates every testdata/*.in.yaml and compares the result with
// the matching *.out.yaml. Run with -update to rewrite the outputs.
func TestGolden(t *testing.T) {
	for _, in := range goldenInputs(t) {
		name := strings.TrimSuffix(filepath.Base(in), goldenInputSuffix)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res, opts := loadGoldenInput(t, data)
			result := Translate(res, opts)
			validateResult(t, result)
			got := marshalResult(t, result)
			golden.Compare(t, strings.TrimSuffix(in, goldenInputSuffix)+".out.yaml", got)
		})
	}
}
