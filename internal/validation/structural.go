package validation

import (
	"encoding/json"
	"slices"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/runtime"
)

// schemaTree is a structural schema whose children are pointers, built
// once per kind. The API server's pruning and defaulting
// (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning and
// defaulting) walk the schema's property maps by value, copying every child
// schema (a large struct) onto the heap at each field of each object: they
// allocated a third of the memory of a translation. The functions below are
// the same algorithms, line for line, over this tree;
// TestStructuralAlgorithmsMatchUpstream compares them with upstream's.
type schemaTree struct {
	s          *structuralschema.Structural
	properties map[string]*schemaTree
	// defaulted are the properties with a default, for defaultValues.
	defaulted  []*namedTree
	items      *schemaTree
	additional *schemaTree // AdditionalProperties.Structural
	// embedded is XEmbeddedResource, or true at a resource root (pruning
	// treats it as an embedded resource).
	embedded bool
}

type namedTree struct {
	name string
	tree *schemaTree
}

// newSchemaTree builds the tree of s (nil for nil), a resource root.
func newSchemaTree(s *structuralschema.Structural) *schemaTree {
	t := buildSchemaTree(s)
	if t != nil {
		t.embedded = true
	}
	return t
}

func buildSchemaTree(s *structuralschema.Structural) *schemaTree {
	if s == nil {
		return nil
	}
	t := &schemaTree{s: s, embedded: s.XEmbeddedResource, items: buildSchemaTree(s.Items)}
	if s.Properties != nil {
		t.properties = make(map[string]*schemaTree, len(s.Properties))
		for name := range s.Properties {
			prop := s.Properties[name]
			child := buildSchemaTree(&prop)
			t.properties[name] = child
			if prop.Default.Object != nil {
				t.defaulted = append(t.defaulted, &namedTree{name: name, tree: child})
			}
		}
	}
	if s.AdditionalProperties != nil {
		t.additional = buildSchemaTree(s.AdditionalProperties.Structural)
	}
	return t
}

// hasAdditional reports whether the schema has additionalProperties (true,
// false or a schema), as upstream's s.AdditionalProperties != nil.
func (t *schemaTree) hasAdditional() bool { return t.s.AdditionalProperties != nil }

var metaFields = map[string]bool{"apiVersion": true, "kind": true, "metadata": true}

// pruneWithOptions is pruning.PruneWithOptions(obj, s, true, opts) for the
// tree of s.
func (t *schemaTree) pruneWithOptions(obj any, opts structuralschema.UnknownFieldPathOptions) []string {
	if t == nil {
		t = &schemaTree{s: &structuralschema.Structural{}, embedded: true}
	}
	t.prune(obj, &opts)
	slices.Sort(opts.UnknownFieldPaths)
	return opts.UnknownFieldPaths
}

func (t *schemaTree) prune(x any, opts *structuralschema.UnknownFieldPathOptions) {
	if t != nil && t.s.XPreserveUnknownFields {
		t.skipPrune(x, opts)
		return
	}
	origPathLen := len(opts.ParentPath)
	defer func() {
		opts.ParentPath = opts.ParentPath[:origPathLen]
	}()
	switch x := x.(type) {
	case map[string]any:
		if t == nil {
			for k := range x {
				opts.RecordUnknownField(k)
				delete(x, k)
			}
			return
		}
		for k, v := range x {
			if t.embedded && metaFields[k] {
				continue
			}
			if prop, ok := t.properties[k]; ok {
				opts.AppendKey(k)
				prop.prune(v, opts)
				opts.ParentPath = opts.ParentPath[:origPathLen]
			} else if t.hasAdditional() {
				opts.AppendKey(k)
				t.additional.prune(v, opts)
				opts.ParentPath = opts.ParentPath[:origPathLen]
			} else {
				if !metaFields[k] || len(opts.ParentPath) > 0 {
					opts.RecordUnknownField(k)
				}
				delete(x, k)
			}
		}
	case []any:
		if t == nil {
			for i, v := range x {
				opts.AppendIndex(i)
				(*schemaTree)(nil).prune(v, opts)
				opts.ParentPath = opts.ParentPath[:origPathLen]
			}
			return
		}
		for i, v := range x {
			opts.AppendIndex(i)
			t.items.prune(v, opts)
			opts.ParentPath = opts.ParentPath[:origPathLen]
		}
	}
}

func (t *schemaTree) skipPrune(x any, opts *structuralschema.UnknownFieldPathOptions) {
	if t == nil {
		return
	}
	origPathLen := len(opts.ParentPath)
	defer func() {
		opts.ParentPath = opts.ParentPath[:origPathLen]
	}()
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if t.embedded && metaFields[k] {
				continue
			}
			if prop, ok := t.properties[k]; ok {
				opts.AppendKey(k)
				prop.prune(v, opts)
				opts.ParentPath = opts.ParentPath[:origPathLen]
			} else if t.hasAdditional() {
				opts.AppendKey(k)
				t.additional.prune(v, opts)
				opts.ParentPath = opts.ParentPath[:origPathLen]
			}
		}
	case []any:
		for i, v := range x {
			opts.AppendIndex(i)
			t.items.skipPrune(v, opts)
			opts.ParentPath = opts.ParentPath[:origPathLen]
		}
	}
}

// pruneNulls is defaulting.PruneNonNullableNullsWithoutDefaults.
func (t *schemaTree) pruneNulls(x any) {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			schema := t.field(k)
			if isNonNullableNonDefaultableNull(v, schema) {
				delete(x, k)
			} else {
				schema.pruneNulls(v)
			}
		}
	case []any:
		var schema *schemaTree
		if t != nil {
			schema = t.items
		}
		for i := range x {
			schema.pruneNulls(x[i])
		}
	}
}

// field is defaulting's getSchemaForField.
func (t *schemaTree) field(name string) *schemaTree {
	if t == nil {
		return nil
	}
	if prop, ok := t.properties[name]; ok {
		return prop
	}
	if t.hasAdditional() {
		return t.additional
	}
	return nil
}

func isNonNullableNonDefaultableNull(x any, t *schemaTree) bool {
	return x == nil && t != nil && !t.s.Nullable && t.s.Default.Object == nil
}

func isNonNullableNull(x any, t *schemaTree) bool {
	return x == nil && t != nil && !t.s.Nullable
}

// defaultValues is defaulting.Default.
func (t *schemaTree) defaultValues(x any) {
	if t == nil {
		return
	}
	switch x := x.(type) {
	case map[string]any:
		for _, p := range t.defaulted { // the properties with a default
			if v, found := x[p.name]; !found || isNonNullableNull(v, p.tree) {
				x[p.name] = runtime.DeepCopyJSONValue(p.tree.s.Default.Object)
			}
		}
		for k := range x {
			if prop, found := t.properties[k]; found {
				prop.defaultValues(x[k])
			} else if t.hasAdditional() {
				if isNonNullableNull(x[k], t.additional) {
					x[k] = runtime.DeepCopyJSONValue(t.additional.s.Default.Object)
				}
				t.additional.defaultValues(x[k])
			}
		}
	case []any:
		for i := range x {
			if isNonNullableNull(x[i], t.items) {
				x[i] = runtime.DeepCopyJSONValue(t.items.s.Default.Object)
			}
			t.items.defaultValues(x[i])
		}
	}
}

// listsValid reports whether listtype.ValidateListSetsAndMaps certainly
// finds no error in obj: no duplicate in a set or map list and only objects
// in map lists. false means "don't know": the caller runs upstream's
// validation, which makes the errors. It is that validation without the
// field paths it builds at every step.
func (t *schemaTree) listsValid(obj map[string]any) bool {
	if t == nil || obj == nil {
		return true
	}
	if t.s.AdditionalProperties != nil && t.s.AdditionalProperties.Structural != nil {
		for _, v := range obj {
			if !t.additional.listsValidValue(v) {
				return false
			}
		}
	}
	if t.s.Properties != nil {
		for k, v := range obj {
			if sub, ok := t.properties[k]; ok && !sub.listsValidValue(v) {
				return false
			}
		}
	}
	return true
}

func (t *schemaTree) listsValidValue(obj any) bool {
	switch obj := obj.(type) {
	case []any:
		return t.listsValidArray(obj)
	case map[string]any:
		return t.listsValid(obj)
	}
	return true
}

func (t *schemaTree) listsValidArray(obj []any) bool {
	if t == nil {
		return false // upstream would not survive it
	}
	if t.s.XListType != nil {
		switch *t.s.XListType {
		case "set":
			if !unique(obj) {
				return false
			}
		case "map":
			if !t.validListMap(obj) {
				return false
			}
		}
	}
	if t.s.Items != nil {
		for i := range obj {
			if !t.items.listsValidValue(obj[i]) {
				return false
			}
		}
	}
	return true
}

// unique is listtype's validateListSet finding no duplicate (and no error).
func unique(obj []any) bool {
	if len(obj) <= 1 {
		return true
	}
	seenScalars := make(map[any]struct{}, len(obj))
	var seenCompounds map[string]struct{}
	for _, x := range obj {
		switch x.(type) {
		case map[string]any, []any:
			bs, err := json.Marshal(x)
			if err != nil {
				return false
			}
			if seenCompounds == nil {
				seenCompounds = make(map[string]struct{}, len(obj))
			}
			if _, seen := seenCompounds[string(bs)]; seen {
				return false
			}
			seenCompounds[string(bs)] = struct{}{}
		default:
			if _, seen := seenScalars[x]; seen {
				return false
			}
			seenScalars[x] = struct{}{}
		}
	}
	return true
}

// validListMap is listtype's validateListMap finding no error.
func (t *schemaTree) validListMap(obj []any) bool {
	for _, x := range obj {
		if _, ok := x.(map[string]any); x != nil && !ok {
			return false
		}
	}
	if len(obj) <= 1 {
		return true
	}
	type unspecifiedKeyValue struct{}
	keys := make([]any, 0, len(obj))
	if len(t.s.XListMapKeys) == 1 {
		keyField := t.s.XListMapKeys[0]
		for _, x := range obj {
			if x == nil {
				keys = append(keys, unspecifiedKeyValue{})
				continue
			}
			key, ok := x.(map[string]any)[keyField]
			if !ok {
				keys = append(keys, unspecifiedKeyValue{})
				continue
			}
			keys = append(keys, key)
		}
		return unique(keys)
	}
	for _, x := range obj {
		key := map[string]any{}
		if x != nil {
			for _, keyField := range t.s.XListMapKeys {
				if k, ok := x.(map[string]any)[keyField]; ok {
					key[keyField] = k
				}
			}
		}
		keys = append(keys, key)
	}
	return unique(keys)
}
