package fastyaml

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// upstreamUnstructured is what the File provider read before: YAML to JSON
// with sigs.k8s.io/yaml (strict), then the unstructured JSON decoder.
func upstreamUnstructured(data []byte) (map[string]any, bool) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, false
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(js, &obj); err != nil || obj == nil {
		return nil, false
	}
	return obj, true
}

// checkDecode compares YAMLToUnstructured with the upstream path: when the
// fast path takes a document, upstream must take it too and agree.
func checkDecode(t *testing.T, name string, doc string) bool {
	t.Helper()
	got, ok := YAMLToUnstructured([]byte(doc))
	if !ok {
		return false
	}
	want, wantOK := upstreamUnstructured([]byte(doc))
	if !wantOK {
		t.Errorf("%s: upstream rejects the document, fast path reads %#v:\n%s", name, got, doc)
		return true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: fast path reads\n%#v\nupstream reads\n%#v\ndocument:\n%s", name, got, want, doc)
	}
	return true
}

// yamlCorpus are documents in and out of the fast path's reach.
var yamlCorpus = []string{
	"a: 1\n",
	"a: b\nc: d\n",
	"a:\n  b: c\n",
	"a:\n- 1\n- two\n",
	"a:\n  - x\n  - y\nb: z\n",
	"a:\n- b: 1\n  c: 2\n- d: 3\n",
	"a:\n-   b: 1\n    c: 2\n",
	"a:\n- b:\n  - 1\n  c: x\n",
	"a:\n-\n  b: 1\n-\n- c\n",
	"a:\n- - 1\n",
	"a: # comment\n  b: c # another\n# at column 0\n    # deeper\nd: e\n",
	"a: 'single'\nb: \"double\"\nc: 'it''s'\nd: \"esc \\\" \\\\ \\n \\t \\u00e9\"\ne: \"\\/\"\nf: \"\\x41\"\n",
	"a: ''\nb: \"\"\nc: ' lead'\nd: 'trail '\n",
	"'quoted key': 1\n\"dq\": 2\n",
	"a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ng: true\nh: False\ni: ~\nj: null\nk:\nl: NULL\n",
	"a: 0\nb: 42\nc: -1\nd: +1\ne: 007\nf: 0x1F\ng: 1_000\nh: 1.5\ni: 1e3\nj: 9223372036854775807\nk: 9223372036854775808\n",
	"a: .inf\nb: .5\nc: 2001-12-14\nd: 1:20\ne: 1.2.3.4\nf: 10s\ng: 0o17\n",
	"a: b:c\nb: a:\nc: a: b\nd: x #y\ne: x#y\nf: a [b] {c}, d\n",
	"a: [1, 2]\nb: {c: d}\n",
	"a: &x 1\nb: *x\n",
	"a: !!str 1\n",
	"a: |\n  text\n",
	"a: >\n  text\n",
	"a: multi\n  line\n",
	"a: b\na: c\n",
	"true: 1\n",
	"1: a\n",
	"<<: {a: 1}\n",
	"a:\tb\n",
	"a: b\r\n",
	"  a: 1\n  b: 2\n",
	"- a\n- b\n",
	"scalar\n",
	"a:b\n",
	"a: b\n - c\n",
	"a: b\n  c: d\n",
	"a:\n  b: 1\n c: 2\n",
	"a: \"unterminated\n",
	"a: 'x' y\n",
	"a: 'x'#y\n",
	"a: 'x' #y\n",
	"a: é ü 日本\n",
	"a: \u00a0x\n",
	"a: -x\n",
	"a: - x\n",
	"a: ? x\n",
	"a: %x\n",
	"key with space: 1\n",
	"a.b/c_d-e: 1\n",
	"---x: 1\n",
	".a: 1\n",
	"a: b\n---\nc: d\n",
	"a:\n  - b\n  -\n  - c: d\n    e:\n      f: g\n",
	"metadata:\n  annotations:\n    example.com/x: \"1\"\n    other: '2'\n",
	"a:" + strings.Repeat(" ", 3) + "\n",
	"a: " + strings.Repeat("x", 5000) + "\n",
	strings.Repeat("k", 1100) + ": 1\n",
}

func TestYAMLToUnstructuredMatchesUpstream(t *testing.T) {
	fast := 0
	for i, doc := range yamlCorpus {
		if checkDecode(t, "corpus "+string(rune('A'+i%26)), doc) {
			fast++
		}
	}
	files := repoYAML(t)
	docs := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for doc := range strings.SplitSeq(string(data), "\n---\n") {
			docs++
			if checkDecode(t, f, doc) {
				fast++
			}
		}
	}
	t.Logf("%d of %d documents read by the fast path", fast, len(yamlCorpus)+docs)
	if docs == 0 {
		t.Fatal("no YAML files found")
	}
}

// repoYAML lists the repository's YAML test inputs and samples.
func repoYAML(t *testing.T) []string {
	var files []string
	for _, pattern := range []string{
		"../../../gatewayapi/testdata/*.yaml",
		"../../../translate/testdata/*.yaml",
		"../../../../config/samples/*/*.yaml",
		"../../../../config/samples/*/*/*.yaml",
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

func TestYAMLToUnstructuredTakesCommonInput(t *testing.T) {
	doc := `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-1
  namespace: default
  labels:
    app: "demo"
spec:
  parentRefs:
  - name: eg
    sectionName: http
  hostnames:
  - app-1.example.com
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /svc-1
      headers:
      - name: x-tenant
        value: t1
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set:
        - name: x-route
          value: r1
    backendRefs:
    - name: backend
      port: 3000
      weight: 1
`
	if !checkDecode(t, "route", doc) {
		t.Fatal("fast path refused an ordinary route")
	}
}

func FuzzYAMLToUnstructured(f *testing.F) {
	for _, doc := range yamlCorpus {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		checkDecode(t, "fuzz", doc)
	})
}
