package fastyaml

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// yamlStrings are scalars exercising the emitter's style choices: quoting,
// escapes, folding of long lines, block scalars, YAML 1.1 look-alikes.
var yamlStrings = []string{
	"", " ", "a", "abc", "a b", " a", "a ", "a  b", "-", "- a", "-a", "--", "---", "---a", "...", "...a",
	":", ": a", "a:", "a: b", "a:b", "?", "? a", "?a", "#", "#a", "a#", "a #b", "a# b", ",", "a,b", "[a]", "{a}",
	"&a", "*a", "!a", "|a", ">a", "'a'", `"a"`, "%a", "@a", "`a", "a'b", `a"b`, `a\b`, "a\tb", "\ta", "a\t",
	"y", "Y", "yes", "no", "on", "off", "true", "True", "FALSE", "null", "Null", "~", "<<", "=", ".", ".5", ".inf",
	"-.inf", ".nan", "0", "1", "-1", "+1", "01", "0x1F", "0o17", "0b101", "-0b101", "1_000", "1e3", "1.5", "1.",
	"1e400", "9223372036854775807", "9223372036854775808", "18446744073709551616", "1:20", "1:20:30.5", "-1:20",
	"2001-12-14", "2001-12-14T21:59:43.10Z", "2001-12-14 21:59:43.10", "2001-1-1", "20011-1-1", "1.2.3", "1e", "e1",
	"a\nb", "a\n", "\na", "a\n\n", "\n", " a\nb", "a \nb", "a\n b", "a\r\nb", "a\rb", "a\u0085b", "a\u2028b",
	"a\u2029b", "\u00a0", "a\u00a0b", "é", "日本語", "\U0001F600", "\ufeffa", "a\ufeff", "\u0000", "a\u0007b",
	"\u001b", "\u007f", "\u0080", "\u009f", "\ufffd", "a\ufffe",
	strings.Repeat("word ", 40), strings.Repeat("x", 200), strings.Repeat("a b  c   ", 20),
	"prefix " + strings.Repeat("y", 100) + " suffix " + strings.Repeat("z", 90) + " end",
	strings.Repeat("\"quoted\" ", 15), strings.Repeat("it's ", 30), strings.Repeat("line one\nline two  \n", 3),
	strings.Repeat("k", 129), "x: " + strings.Repeat("v ", 60),
}

// yamlDocs places each string as a key and as a value at several depths,
// in mappings and sequences.
func yamlDocs() []any {
	var docs []any
	for _, s := range yamlStrings {
		docs = append(docs,
			s,
			map[string]any{"k": s},
			map[string]any{s: "v"},
			map[string]any{s: map[string]any{s: []any{s}}},
			[]any{s, []any{s, map[string]any{"a": s, "b": []any{}}}},
			map[string]any{"a": map[string]any{"b": map[string]any{"listeners": []any{map[string]any{"name": s, "n": 1}}}}},
			map[string]any{"deeply": map[string]any{"nested": map[string]any{"value": map[string]any{"here": s}}}},
		)
	}
	return append(docs,
		map[string]any{}, []any{}, nil, true, 1.5, 0, -7, 1e21, 1e-7, 123456789.125, 1.0, uint64(1)<<63, int64(-1)<<63,
		map[string]any{"a10": 1, "a9": 2, "a": 3, "B": 4, "b": 5, "1": 6, "10": 7, "9": 8, "_x": 9, "é": 10, "x0": 11, "x00": 12, "x01": 13, "x1": 14, "": 15},
		map[string]any{"empty": map[string]any{}, "list": []any{}, "nested": []any{[]any{}, map[string]any{}, []any{[]any{1, 2}, "a"}}},
		[]any{nil, false, "null", map[string]any{"x": nil}},
	)
}

func TestJSONToYAMLMatchesUpstream(t *testing.T) {
	for i, doc := range yamlDocs() {
		js, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		checkJSONToYAML(t, fmt.Sprintf("doc %d", i), js)
	}
	for _, js := range []string{
		`{"a":1,"a":2}`, `{"a":"\/"}`, `{"a":"\ud83d\ude00"}`, `{"a":"\u00e9\u2028"}`, `[1e400]`, `[-0, -0.0, 0.1e1, 1E+2, 12345678901234567890123]`,
		`{"<<":{"a":1}}`, ` { "a" : [ 1 , 2 ] } `, `"\u0000\u001f"`, `{"a":"` + "\x7f" + `"}`, `{"a":"` + "\u0085" + `"}`,
		`{"a":"` + "\ufeff" + `"}`, `[1,]`, `{"a"}`, `01`, `1.`, `-`, ``, `nul`,
	} {
		checkJSONToYAML(t, js, []byte(js))
	}
}

// checkJSONToYAML compares jsonToYAML with sigs.k8s.io/yaml.JSONToYAML: when
// the fast path takes the input, the output must be the same bytes.
func checkJSONToYAML(t *testing.T, name string, js []byte) {
	t.Helper()
	want, wantErr := yaml.JSONToYAML(js)
	got, ok := JSONToYAML(js)
	if !ok {
		return
	}
	if wantErr != nil {
		t.Errorf("%s: %s: upstream fails (%v), fast path prints:\n%s", name, js, wantErr, got)
		return
	}
	if string(got) != string(want) {
		t.Errorf("%s: %s:\nupstream:\n%s\nfast path:\n%s", name, js, want, got)
	}
}

// TestJSONToYAMLTakesCommonInput checks that ordinary output does not fall
// back to the slow path.
func TestJSONToYAMLTakesCommonInput(t *testing.T) {
	js := `{"fleet":{"listeners":[{"name":"default/eg/http","address":{"socket_address":{"address":"0.0.0.0","port_value":8080}},"weight":1.5,"on":true,"none":null,"desc":"a b\nc","list":[]}]}}`
	if _, ok := JSONToYAML([]byte(js)); !ok {
		t.Fatal("fast path refused ordinary JSON")
	}
}

func FuzzJSONToYAML(f *testing.F) {
	for _, s := range yamlStrings {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, shape int) {
		var doc any
		switch shape % 6 {
		case 0:
			doc = s
		case 1:
			doc = map[string]any{s: s}
		case 2:
			doc = map[string]any{"a": map[string]any{"bb": []any{s, map[string]any{s: []any{s}}}}}
		case 3:
			doc = []any{[]any{map[string]any{"k": s, "kk": s}}}
		case 4:
			doc = map[string]any{"x" + s: 1, s + "x": 2, s: 3, "x": map[string]any{}}
		default:
			if json.Valid([]byte(s)) {
				checkJSONToYAML(t, "raw", []byte(s))
			}
			return
		}
		js, err := json.Marshal(doc)
		if err != nil {
			return
		}
		checkJSONToYAML(t, "doc", js)
	})
}
