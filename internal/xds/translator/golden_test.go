package translator

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"sigs.k8s.io/yaml"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

var update = flag.Bool("update", false, "regenerate the golden files in testdata")

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
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := make([]string, 0, len(inputs))
	for _, in := range inputs {
		cases = append(cases, strings.TrimSuffix(filepath.Base(in), ".in.yaml"))
	}
	return cases
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

func TestGoldenCaseCount(t *testing.T) {
	if n := len(goldenCases(t)); n < 40 {
		t.Fatalf("want at least 40 golden cases, have %d", n)
	}
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
				path := filepath.Join("testdata", name+"."+k.suffix+".yaml")
				got := k.got(res)
				if *update {
					writeGolden(t, path, got)
					continue
				}
				want := readGolden(t, path, k.newMsg)
				if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", k.suffix, diff)
				}
			}
			checkWarnings(t, filepath.Join("testdata", name+".warnings.yaml"), res.Warnings)
		})
	}
}

func checkWarnings(t *testing.T, path string, got []string) {
	t.Helper()
	if *update {
		if len(got) == 0 {
			removeIfExists(t, path)
			return
		}
		b, err := yaml.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var want []string
	if b, err := os.ReadFile(path); err == nil {
		if err := yaml.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
}

func writeGolden(t *testing.T, path string, msgs []proto.Message) {
	t.Helper()
	if len(msgs) == 0 {
		removeIfExists(t, path)
		return
	}
	list := make([]json.RawMessage, 0, len(msgs))
	for _, m := range msgs {
		b, err := protojson.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, b)
	}
	j, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, y, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readGolden(t *testing.T, path string, newMsg func() proto.Message) []proto.Message {
	t.Helper()
	y, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return []proto.Message{}
	}
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(j, &list); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := make([]proto.Message, 0, len(list))
	for i, raw := range list {
		m := newMsg()
		if err := protojson.Unmarshal(raw, m); err != nil {
			t.Fatalf("%s[%d]: %v", path, i, err)
		}
		out = append(out, m)
	}
	return out
}

func removeIfExists(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
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
