package translator

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/envoygw/envoy-gateway/internal/golden"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// goldenKind is one output file of a golden case: <case>.<suffix>.yaml holds
// the resources of one xDS type as a YAML list of their proto-JSON forms. The
// file is absent when the translation has no resource of that type.
type goldenKind struct {
	suffix string
	got    func(*Resources) []proto.Message
	newMsg func() proto.Message
}

var goldenKinds = []goldenKind{
	{"listeners", func(r *Resources) []proto.Message { return messages(r.Listeners) }, func() proto.Message { return &listenerv3.Listener{} }},
	{"routes", func(r *Resources) []proto.Message { return messages(r.Routes) }, func() proto.Message { return &routev3.RouteConfiguration{} }},
	{"clusters", func(r *Resources) []proto.Message { return messages(r.Clusters) }, func() proto.Message { return &clusterv3.Cluster{} }},
	{"endpoints", func(r *Resources) []proto.Message { return messages(r.Endpoints) }, func() proto.Message { return &endpointv3.ClusterLoadAssignment{} }},
	{"secrets", func(r *Resources) []proto.Message { return messages(r.Secrets) }, func() proto.Message { return &tlsv3.Secret{} }},
}

func messages[T proto.Message](in []T) []proto.Message {
	out := make([]proto.Message, len(in))
	for i, m := range in {
		out[i] = m
	}
	return out
}

// goldenCases lists the cases in testdata: every <case>.in.yaml.
func goldenCases(t testing.TB) []string {
	t.Helper()
	return golden.Cases(t, "testdata", ".in.yaml")
}

func loadIR(t testing.TB, name string) *ir.Xds {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	x := &ir.Xds{}
	if err := yaml.UnmarshalStrict(b, x); err != nil {
		t.Fatalf("parsing %s.in.yaml: %v", name, err)
	}
	return x
}

// TestTranslateGolden translates every testdata/<case>.in.yaml and compares
// each xDS type with testdata/<case>.<type>.yaml (and the warnings with
// <case>.warnings.yaml). Run with -update to regenerate.
func TestTranslateGolden(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			res, err := Translate(loadIR(t, name))
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			for _, k := range goldenKinds {
				golden.CompareMessages(t, filepath.Join("testdata", name+"."+k.suffix+".yaml"), k.got(res), k.newMsg)
			}
			golden.CompareYAML(t, filepath.Join("testdata", name+".warnings.yaml"), res.Warnings, true)
		})
	}
}

// TestGoldenFilesHaveInputs fails on output files left behind by a removed case.
func TestGoldenFilesHaveInputs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{}
	for _, c := range goldenCases(t) {
		cases[c] = true
	}
	for _, f := range files {
		base := filepath.Base(f)
		name := base[:strings.Index(base, ".")]
		if !cases[name] {
			t.Errorf("%s has no %s.in.yaml", f, name)
		}
	}
}

// TestTranslateDeterministic translates every case twice and compares the
// deterministic wire bytes.
func TestTranslateDeterministic(t *testing.T) {
	for _, name := range goldenCases(t) {
		x := loadIR(t, name)
		a, err := Translate(x)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := Translate(x)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, k := range goldenKinds {
			ga, gb := k.got(a), k.got(b)
			if len(ga) != len(gb) {
				t.Fatalf("%s %s: %d then %d resources", name, k.suffix, len(ga), len(gb))
			}
			for i := range ga {
				ba, _ := deterministic.Marshal(ga[i])
				bb, _ := deterministic.Marshal(gb[i])
				if !bytes.Equal(ba, bb) {
					t.Errorf("%s %s[%d]: translations differ", name, k.suffix, i)
				}
			}
		}
	}
}
