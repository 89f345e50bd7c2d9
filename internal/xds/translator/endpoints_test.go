package translator

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/golden"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// endpointsCase is the input of a testdata/endpoints golden case: a fleet's
// clusters and an endpoints snapshot.
type endpointsCase struct {
	Clusters  []*ir.Cluster `json:"clusters"`
	Endpoints *ir.Endpoints `json:"endpoints,omitempty"`
}

// TestTranslateEndpointsGolden computes the ClusterLoadAssignments of every
// testdata/endpoints/<case>.in.yaml and compares them with
// <case>.endpoints.yaml (and the warnings with <case>.warnings.yaml). It
// also checks that a full translation of the clusters gives the same
// assignments. Run with -update to regenerate.
func TestTranslateEndpointsGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "endpoints", "*.in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden cases in testdata/endpoints")
	}
	for _, in := range inputs {
		base := strings.TrimSuffix(in, ".in.yaml")
		t.Run(filepath.Base(base), func(t *testing.T) {
			b, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var c endpointsCase
			if err := yaml.UnmarshalStrict(b, &c); err != nil {
				t.Fatal(err)
			}
			x := &ir.Xds{Clusters: c.Clusters}
			if err := x.Validate(); err != nil {
				t.Fatalf("invalid clusters: %v", err)
			}
			res, err := TranslateEndpoints(c.Clusters, c.Endpoints)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Listeners)+len(res.Routes)+len(res.Clusters)+len(res.Secrets) > 0 {
				t.Errorf("TranslateEndpoints returned more than assignments: %+v", res)
			}
			got := messages(res.Endpoints)
			golden.CompareMessages(t, base+".endpoints.yaml", got, func() proto.Message { return &endpointv3.ClusterLoadAssignment{} })
			golden.CompareYAML(t, base+".warnings.yaml", res.Warnings, true)

			full, err := TranslateWithEndpoints(x, c.Endpoints)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(messages(full.Endpoints), got, protocmp.Transform()); diff != "" {
				t.Errorf("TranslateWithEndpoints gives other assignments (-full +endpoints only):\n%s", diff)
			}
			if diff := cmp.Diff(full.Warnings, res.Warnings); diff != "" {
				t.Errorf("TranslateWithEndpoints gives other warnings (-full +endpoints only):\n%s", diff)
			}
		})
	}
}

// TestTranslateEndpointsMatchesTranslate checks, on every xDS golden case,
// that TranslateEndpoints gives byte for byte the assignments of Translate.
func TestTranslateEndpointsMatchesTranslate(t *testing.T) {
	for _, name := range goldenCases(t) {
		x := loadIR(t, name)
		full, err := Translate(x)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		eds, err := TranslateEndpoints(x.Clusters, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(full.Endpoints) != len(eds.Endpoints) {
			t.Fatalf("%s: %d assignments, want %d", name, len(eds.Endpoints), len(full.Endpoints))
		}
		for i := range full.Endpoints {
			a, _ := deterministic.Marshal(full.Endpoints[i])
			b, _ := deterministic.Marshal(eds.Endpoints[i])
			if !bytes.Equal(a, b) {
				t.Errorf("%s: assignment %s differs", name, full.Endpoints[i].GetClusterName())
			}
		}
	}
}
