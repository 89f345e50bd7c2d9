package translate

import (
	"bytes"
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"
)

// Marshal prints doc as indented JSON or as YAML. Both are deterministic:
// map keys are sorted and embedded proto-JSON is re-indented (protojson
// output alone varies in whitespace).
func Marshal(doc any, format string) ([]byte, error) {
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatJSON:
		var buf bytes.Buffer
		if err := json.Indent(&buf, js, "", "  "); err != nil {
			return nil, err
		}
		buf.WriteByte('\n')
		return buf.Bytes(), nil
	case FormatYAML:
		return yaml.JSONToYAML(js)
	}
	return nil, fmt.Errorf("unknown output format %q", format)
}

// MarshalStream prints documents as a multi-document YAML stream, printing
// them on all cores.
func MarshalStream(docs []any) ([]byte, error) {
	out := make([][]byte, len(docs))
	errs := make([]error, len(docs))
	parallelChunks(len(docs), func(i int) {
		out[i], errs[i] = Marshal(docs[i], FormatYAML)
	})
	var buf bytes.Buffer
	for i, b := range out {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}
