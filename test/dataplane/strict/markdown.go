package strict

import (
	"fmt"
	"slices"
	"strings"
)

// Markdown renders the implemented-field table and the typed configs as
// a Markdown document (test/dataplane/FIELDS.md is this output).
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Fields implemented by the test data plane\n\n")
	b.WriteString("Generated from `test/dataplane/strict` (and the router's `ImplementedFields`); do not edit.\n")
	b.WriteString("Regenerate with `go test ./test/dataplane/strict -run TestFieldsDoc -update`.\n")
	b.WriteString("Any other field, enum value or typed config in a resource the data plane receives is NACKed\n")
	b.WriteString("with its field path.\n\n")
	b.WriteString("## Typed configs\n\n| Type | Name | Accepted in |\n|---|---|---|\n")
	exts := slices.Clone(Extensions)
	slices.SortFunc(exts, func(a, b Extension) int { return strings.Compare(a.TypeName(), b.TypeName()) })
	for _, e := range exts {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", e.TypeName(), e.Name, codeList(e.In))
	}
	fields := Fields()
	var pkg string
	for _, f := range fields {
		msg := messageOf(f.Name)
		if p := packageOf(msg); p != pkg {
			pkg = p
			fmt.Fprintf(&b, "\n## %s\n\n| Message | Field | Enum values implemented |\n|---|---|---|\n", pkg)
		}
		values := ""
		if len(f.Values) > 0 {
			values = codeList(f.Values)
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", strings.TrimPrefix(msg, pkg+"."), f.Name[len(msg)+1:], values)
	}
	return b.String()
}

func codeList(in []string) string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, ", ")
}

// messageOf is the message part of a field's full name.
func messageOf(field string) string { return field[:strings.LastIndexByte(field, '.')] }

// packageOf is the proto package of a message's full name: the leading
// lower-case components.
func packageOf(msg string) string {
	parts := strings.Split(msg, ".")
	i := 0
	for i < len(parts) && parts[i] != "" && parts[i][0] >= 'a' && parts[i][0] <= 'z' {
		i++
	}
	return strings.Join(parts[:i], ".")
}
