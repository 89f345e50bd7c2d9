package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

// recorder is a testing.TB that records failures instead of failing the test.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.failures = append(r.failures, fmt.Sprint(args...))
	runtime.Goexit()
}

// run calls fn with a recorder on its own goroutine (Fatal ends it) and
// returns the failures.
func run(t *testing.T, fn func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	var wg sync.WaitGroup
	wg.Go(func() { fn(r) })
	wg.Wait()
	return r.failures
}

func newCluster() proto.Message { return &clusterv3.Cluster{} }

func clusters(names ...string) []proto.Message {
	out := make([]proto.Message, len(names))
	for i, n := range names {
		out[i] = &clusterv3.Cluster{Name: n}
	}
	return out
}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	bytesFile := filepath.Join(dir, "bytes.out.yaml")
	msgFile := filepath.Join(dir, "clusters.yaml")
	warnFile := filepath.Join(dir, "warnings.yaml")
	if err := os.WriteFile(bytesFile, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(msgFile, marshalMessages(t, clusters("a", "b")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(warnFile, []byte("- careful\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	cases := []struct {
		name string
		fn   func(tb testing.TB)
		want string // substring of the only failure; empty: no failure
	}{
		{"bytes equal", func(tb testing.TB) { Compare(tb, bytesFile, []byte("a: 1\n")) }, ""},
		{"bytes differ", func(tb testing.TB) { Compare(tb, bytesFile, []byte("a: 2\n")) }, "output differs from"},
		{"bytes missing", func(tb testing.TB) { Compare(tb, missing, []byte("a: 1\n")) }, "run with -update to create it"},
		{"messages equal", func(tb testing.TB) { CompareMessages(tb, msgFile, clusters("a", "b"), newCluster) }, ""},
		{"messages differ", func(tb testing.TB) { CompareMessages(tb, msgFile, clusters("a", "c"), newCluster) }, "messages differ from"},
		{"messages none, no file", func(tb testing.TB) { CompareMessages(tb, missing, nil, newCluster) }, ""},
		{"messages none, file", func(tb testing.TB) { CompareMessages(tb, msgFile, nil, newCluster) }, "exists but the output is empty"},
		{"yaml equal", func(tb testing.TB) { CompareYAML(tb, warnFile, []string{"careful"}, true) }, ""},
		{"yaml differ", func(tb testing.TB) { CompareYAML(tb, warnFile, []string{"other"}, true) }, "output differs from"},
		{"yaml empty, no file", func(tb testing.TB) { CompareYAML(tb, missing, []string{}, true) }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			failures := run(t, tc.fn)
			switch {
			case tc.want == "" && len(failures) > 0:
				t.Errorf("unexpected failures: %q", failures)
			case tc.want != "" && (len(failures) != 1 || !strings.Contains(failures[0], tc.want)):
				t.Errorf("failures = %q, want one containing %q", failures, tc.want)
			}
		})
	}
}

// TestUpdate checks that -update writes what a later comparison accepts and
// removes the files of empty outputs.
func TestUpdate(t *testing.T) {
	*update = true
	t.Cleanup(func() { *update = false })
	dir := t.TempDir()
	bytesFile := filepath.Join(dir, "bytes.out.yaml")
	msgFile := filepath.Join(dir, "clusters.yaml")
	Compare(t, bytesFile, []byte("a: 1\n"))
	CompareMessages(t, msgFile, clusters("x"), newCluster)

	*update = false
	if f := run(t, func(tb testing.TB) { Compare(tb, bytesFile, []byte("a: 1\n")) }); len(f) > 0 {
		t.Errorf("after -update: %q", f)
	}
	if f := run(t, func(tb testing.TB) { CompareMessages(tb, msgFile, clusters("x"), newCluster) }); len(f) > 0 {
		t.Errorf("after -update: %q", f)
	}

	*update = true
	CompareMessages(t, msgFile, nil, newCluster)
	if _, err := os.Stat(msgFile); !os.IsNotExist(err) {
		t.Errorf("-update with no messages left %s (stat: %v)", msgFile, err)
	}
}

func TestCases(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.in.yaml", "a.in.yaml", "a.out.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := Cases(t, dir, ".in.yaml"); strings.Join(got, ",") != "a,b" {
		t.Errorf("Cases = %v, want [a b]", got)
	}
	if f := run(t, func(tb testing.TB) { Cases(tb, dir, ".none") }); len(f) != 1 {
		t.Errorf("Cases with no match: failures %q, want one", f)
	}
}
