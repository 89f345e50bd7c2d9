package translate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/envoygw/envoy-gateway/internal/golden"
	"github.com/envoygw/envoy-gateway/internal/provider/file"
)

const samples = "../../config/samples/standalone/resources"

const mixedWarning = "testdata/mixed.in.yaml: document 7 (line 93): ServiceAccount ignored: kind v1 ServiceAccount is not read by the translator: ignored"

// goldenCases are translations checked against testdata/<name>: the output,
// or for invalid input the error report.
var goldenCases = []struct {
	name     string
	inputs   []string
	opts     Options
	warnings []string
}{
	{name: "samples.xds.yaml", inputs: []string{samples}, opts: Options{To: ToXds, Format: FormatYAML}},
	{name: "samples.gateway-api.yaml", inputs: []string{samples}, opts: Options{To: ToGatewayAPI, Format: FormatYAML}},
	{name: "samples.ir.json", inputs: []string{samples}, opts: Options{To: ToIR, Format: FormatJSON}},
	{
		name: "mixed.xds.json", inputs: []string{"testdata/mixed.in.yaml"}, opts: Options{To: ToXds, Format: FormatJSON},
		warnings: []string{mixedWarning},
	},
	{
		name: "mixed.gateway-api.yaml", inputs: []string{"testdata/mixed.in.yaml"}, opts: Options{To: ToGatewayAPI, Format: FormatYAML},
		warnings: []string{mixedWarning},
	},
	{
		name: "mixed.listener-route.yaml", inputs: []string{"testdata/mixed.in.yaml"},
		opts:     Options{To: ToXds, Format: FormatYAML, Types: []string{TypeListener, TypeRoute}},
		warnings: []string{mixedWarning},
	},
	{name: "invalid.err", inputs: []string{"testdata/invalid.in.yaml"}, opts: Options{To: ToXds, Format: FormatYAML}},
}

func TestTranslateGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			files, problems := file.ReadPaths(tc.inputs)
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			out, err := Translate(context.Background(), files, tc.opts)
			var got []byte
			var inputErr *InputError
			switch {
			case errors.As(err, &inputErr):
				got = []byte(inputErr.Error() + "\n")
			case err != nil:
				t.Fatal(err)
			default:
				got = out.Data
				if diff := cmp.Diff(tc.warnings, out.Warnings); diff != "" {
					t.Errorf("warnings (-want +got):\n%s", diff)
				}
			}
			golden.Compare(t, filepath.Join("testdata", tc.name), withoutSupportedFeatures(got))
		})
	}
}

// withoutSupportedFeatures drops the GatewayClass supportedFeatures lists
// from YAML output: they follow the resource translator's features (checked
// by its own golden files), not the translate command.
func withoutSupportedFeatures(out []byte) []byte {
	var kept []string
	skipping := ""
	for _, line := range strings.SplitAfter(string(out), "\n") {
		if skipping != "" && strings.HasPrefix(line, skipping+"- name: ") {
			continue
		}
		skipping = ""
		if trimmed := strings.TrimLeft(line, " "); trimmed == "supportedFeatures:\n" {
			skipping = line[:len(line)-len(trimmed)]
			continue
		}
		kept = append(kept, line)
	}
	return []byte(strings.Join(kept, ""))
}

// TestGoldenFilesHaveCases catches golden files left behind by removed cases.
func TestGoldenFilesHaveCases(t *testing.T) {
	known := map[string]bool{}
	for _, tc := range goldenCases {
		known[tc.name] = true
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".in.yaml") && !known[e.Name()] {
			t.Errorf("testdata/%s belongs to no golden case", e.Name())
		}
	}
}

func TestTranslateIsDeterministic(t *testing.T) {
	for _, input := range []string{samples, "testdata/mixed.in.yaml"} {
		files, _ := file.ReadPaths([]string{input})
		var first []byte
		for i := range 3 {
			out, err := Translate(context.Background(), files, Options{To: ToXds, Format: FormatJSON})
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 && string(out.Data) != string(first) {
				t.Fatalf("two translations of %s differ", input)
			}
			first = out.Data
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	err := Options{To: "envoy", Format: "toml", Types: []string{"listeners"}}.Validate()
	for _, want := range []string{`--to "envoy"`, `-o "toml"`, `--type "listeners"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %s", err, want)
		}
	}
}
