package golden

import (
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
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// Update reports whether the test run was asked to rewrite the golden files.
func Update() bool { return *update }

// Cases returns the names of the golden cases in dir: every file whose name
// ends in suffix (for example ".in.yaml"), with the suffix removed, sorted.
func Cases(t testing.TB, dir, suffix string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no golden cases %s/*%s", dir, suffix)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = strings.TrimSuffix(filepath.Base(p), suffix)
	}
	return names
}

// Read returns the content of a golden file; a missing file fails the test
// with a hint to run with -update.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	return b
}

// Compare checks got against the golden file at path, or rewrites the file
// with got under -update.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		write(t, path, got)
		return
	}
	if diff := cmp.Diff(string(Read(t, path)), string(got)); diff != "" {
		t.Errorf("output differs from %s (-want +got; run with -update to rewrite it):\n%s", path, diff)
	}
}

// CompareYAML checks got, marshalled as YAML, against the golden file at
// path; with omitEmpty an empty got means the file must not exist. Under
// -update the file is rewritten (or removed).
func CompareYAML[T any](t testing.TB, path string, got []T, omitEmpty bool) {
	t.Helper()
	if omitEmpty && len(got) == 0 {
		compareAbsent(t, path)
		return
	}
	b, err := yaml.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	Compare(t, path, b)
}

// CompareMessages checks got against the golden file at path: a YAML list of
// the messages' proto-JSON forms, read with newMsg and compared with
// protocmp. An empty got means the file must not exist. Under -update the
// file is rewritten (or removed).
func CompareMessages(t testing.TB, path string, got []proto.Message, newMsg func() proto.Message) {
	t.Helper()
	if len(got) == 0 {
		compareAbsent(t, path)
		return
	}
	if *update {
		write(t, path, marshalMessages(t, got))
		return
	}
	want := unmarshalMessages(t, path, Read(t, path), newMsg)
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("messages differ from %s (-want +got; run with -update to rewrite it):\n%s", path, diff)
	}
}

// compareAbsent checks that no golden file exists at path (it is removed
// under -update).
func compareAbsent(t testing.TB, path string) {
	t.Helper()
	_, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		t.Fatal(err)
	case *update:
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	default:
		t.Errorf("%s exists but the output is empty (run with -update to remove it)", path)
	}
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func marshalMessages(t testing.TB, msgs []proto.Message) []byte {
	t.Helper()
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
	return y
}

// ReadMessages reads a golden file of messages (a YAML list of proto-JSON
// objects, as CompareMessages writes them), each made with newMsg.
func ReadMessages(t testing.TB, path string, newMsg func() proto.Message) []proto.Message {
	t.Helper()
	return unmarshalMessages(t, path, Read(t, path), newMsg)
}

func unmarshalMessages(t testing.TB, path string, y []byte, newMsg func() proto.Message) []proto.Message {
	t.Helper()
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
