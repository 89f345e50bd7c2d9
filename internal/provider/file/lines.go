package file

import (
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// documentLines finds where fields are in one YAML document, from the node
// positions of go.yaml.in/yaml/v3.
type documentLines struct {
	root *yamlv3.Node
	// start is the line of the file where the document starts.
	start int
}

// newDocumentLines parses a document; nil when it does not parse.
func newDocumentLines(data []byte, start int) *documentLines {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	return &documentLines{root: doc.Content[0], start: start}
}

// line returns the line of the file holding the field at path (a field
// path as k8s.io/apimachinery prints it: "spec.rules[0].name",
// "data[tls.key]"), or of its closest parent present in the document when
// the field itself is not (a required field, a defaulted one). It returns
// 0 when not even the first element of the path is in the document.
func (d *documentLines) line(path string) int {
	if d == nil {
		return 0
	}
	node, line := d.root, 0
	for _, elem := range splitFieldPath(path) {
		next, at := child(node, elem)
		if next == nil {
			break
		}
		node, line = next, at
	}
	if line == 0 {
		return 0
	}
	return d.start + line - 1
}

// child returns the value under elem (a key of a mapping, an index of a
// sequence) and the line where it is named, or nil.
func child(node *yamlv3.Node, elem string) (*yamlv3.Node, int) {
	if node.Kind == yamlv3.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	switch node.Kind {
	case yamlv3.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			if key := node.Content[i]; key.Value == elem {
				return node.Content[i+1], key.Line
			}
		}
	case yamlv3.SequenceNode:
		i, err := strconv.Atoi(elem)
		if err == nil && i >= 0 && i < len(node.Content) {
			return node.Content[i], node.Content[i].Line
		}
	}
	return nil, 0
}

// splitFieldPath splits "a.b[0].c[k.e]" into a, b, 0, c, k.e.
func splitFieldPath(path string) []string {
	var elems []string
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return append(elems, path[1:])
			}
			elems = append(elems, path[1:end])
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			elems = append(elems, path[:end])
			path = path[end:]
		}
	}
	return elems
}
