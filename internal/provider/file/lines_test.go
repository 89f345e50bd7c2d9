package file

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitFieldPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"spec", []string{"spec"}},
		{"spec.rules[0].backendRefs[1].port", []string{"spec", "rules", "0", "backendRefs", "1", "port"}},
		{"data[tls.key]", []string{"data", "tls.key"}},
		{"items[2].metadata.labels[app.kubernetes.io/name]", []string{"items", "2", "metadata", "labels", "app.kubernetes.io/name"}},
		{"[0]", []string{"0"}},
		{"a[unterminated", []string{"a", "unterminated"}},
		{"", nil},
	} {
		if diff := cmp.Diff(tc.want, splitFieldPath(tc.path)); diff != "" {
			t.Errorf("splitFieldPath(%q) (-want +got):\n%s", tc.path, diff)
		}
	}
}

const linesDoc = `apiVersion: v1
kind: Secret
metadata:
  name: cert
data:
  tls.key: a2V5
list:
- name: a
- name: b
  port: 80
anchor: &x {nested: 1}
alias: *x
`

func TestDocumentLines(t *testing.T) {
	lines := newDocumentLines([]byte(linesDoc), 10) // the document starts on line 10
	for _, tc := range []struct {
		path string
		want int
	}{
		{"kind", 11},
		{"metadata.name", 13},
		{"data[tls.key]", 15},
		{"list[1]", 18},
		{"list[1].port", 19},
		{"alias.nested", 20},       // where the anchor defines it
		{"metadata.namespace", 12}, // absent: its parent's line
		{"list[7].name", 16},       // no such item: the list's line
		{"missing.field", 0},       // nothing of the path is there
	} {
		if got := lines.line(tc.path); got != tc.want {
			t.Errorf("line(%q) = %d, want %d", tc.path, got, tc.want)
		}
	}
	if newDocumentLines([]byte("kind: [broken\n"), 1) != nil {
		t.Error("a broken document has lines")
	}
}

// TestParseFieldLinesMoveWithCachedDocuments checks that a cached
// document's errors point at its new lines when it moves in the file.
func TestParseFieldLinesMoveWithCachedDocuments(t *testing.T) {
	cache := NewDocumentCache()
	bad := strings.Replace(routeYAML, "port: 3000", "port: 0", 1)
	lines := make([]int, 0, 2)
	for _, data := range []string{bad, gatewayYAML + "---\n" + bad} {
		out, err := Parse(context.Background(), []FileData{{Name: "f.yaml", Data: []byte(data)}}, ParseOptions{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		if len(out[0].Errors()) != 1 {
			t.Fatalf("errors = %v, want one", out[0].Errors())
		}
		lines = append(lines, out[0].Errors()[0].FieldLine)
	}
	if diff := cmp.Diff([]int{13, 31}, lines); diff != "" {
		t.Errorf("field lines (-want +got):\n%s", diff)
	}
}
