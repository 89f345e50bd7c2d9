package router

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"
)

// translatorGoldens is where the xDS translator keeps its golden outputs.
const translatorGoldens = "../../../internal/xds/translator/testdata"

// TestTranslatorGoldensCompile compiles every RouteConfiguration the xDS
// translator's golden files hold: each must be something Envoy accepts and
// this package implements.
func TestTranslatorGoldensCompile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(translatorGoldens, "*.routes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no *.routes.yaml in %s", translatorGoldens)
	}
	total := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".routes.yaml")
		for i, rc := range readGoldenRoutes(t, f) {
			total++
			if _, err := CompileWith(rc, goldenOptions); err != nil {
				t.Errorf("%s: route configuration %d (%s): %v", name, i, rc.GetName(), err)
			}
		}
	}
	t.Logf("compiled %d route configurations from %d golden files", total, len(files))
}

// goldenOptions accept the local rate limit filter's route configurations
// the translator emits: package ratelimit compiles them, and the data
// plane's own golden test runs it on these files.
var goldenOptions = CompileOptions{PerFilterConfig: func(name string, a *anypb.Any, path string) (any, error) {
	c := &localratelimitv3.LocalRateLimit{}
	if name != "envoy.filters.http.local_ratelimit" || a.UnmarshalTo(c) != nil {
		return nil, fmt.Errorf("%s: not a local rate limit configuration", path)
	}
	return c, nil
}}

// readGoldenRoutes parses a golden file: a YAML list of RouteConfigurations
// in proto-JSON form.
func readGoldenRoutes(t *testing.T, path string) []*routev3.RouteConfiguration {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(j, &items); err != nil {
		t.Fatalf("%s: not a list: %v", path, err)
	}
	out := make([]*routev3.RouteConfiguration, 0, len(items))
	for i, item := range items {
		rc := &routev3.RouteConfiguration{}
		if err := protojson.Unmarshal(item, rc); err != nil {
			t.Fatalf("%s[%d]: %v", path, i, err)
		}
		out = append(out, rc)
	}
	return out
}
