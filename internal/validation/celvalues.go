package validation

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/common"
)

// quickVal is common.UnstructuredToVal for quickValid, faster on the values
// rules read most: objects whose keys are all declared properties, maps of
// additional properties and atomic lists get the types below, which behave
// as upstream's (same methods, same results: the code follows
// k8s.io/apiserver/pkg/cel/common/valuesunstructured.go) but skip the
// regular expression upstream runs to unescape every field name it looks up
// (only names holding "__" can be escaped) and the closure it allocates per
// object. Everything else (scalars, embedded resources, objects holding
// undeclared keys such as metadata at a resource root, map and set lists)
// is upstream's own value. TestQuickValuesMatchUpstream compares the rule
// results with both.
func quickVal(v any, s common.Schema) ref.Val {
	if v == nil || s.IsXIntOrString() {
		return common.UnstructuredToVal(v, s)
	}
	switch s.Type() {
	case "object":
		m, ok := v.(map[string]any)
		if !ok || s.IsXEmbeddedResource() {
			break
		}
		if props := s.Properties(); props != nil {
			for k := range m {
				if _, ok := props[k]; !ok {
					return common.UnstructuredToVal(v, s)
				}
			}
			return &quickMap{value: m, properties: props}
		}
		if ap := s.AdditionalProperties(); ap != nil && ap.Schema() != nil {
			return &quickMap{value: m, additional: ap.Schema()}
		}
	case "array":
		l, ok := v.([]any)
		if !ok || s.Items() == nil {
			break
		}
		if lt := s.XListType(); lt == "" || lt == "atomic" {
			return &quickList{elements: l, items: s.Items()}
		}
	}
	return common.UnstructuredToVal(v, s)
}

// quickMap is an object with properties (every key declared) or a map of
// additional properties.
type quickMap struct {
	value      map[string]any
	properties map[string]common.Schema // nil for additional properties
	additional common.Schema
}

var _ traits.Mapper = (*quickMap)(nil)

func (t *quickMap) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if typeDesc.Kind() == reflect.Map {
		return t.value, nil
	}
	return nil, fmt.Errorf("type conversion error from '%s' to '%s'", t.Type(), typeDesc)
}

func (t *quickMap) ConvertToType(typeValue ref.Type) ref.Val {
	switch typeValue {
	case types.MapType:
		return t
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from '%s' to '%s'", t.Type(), typeValue.TypeName())
}

func (t *quickMap) Equal(other ref.Val) ref.Val {
	oMap, isMap := other.(traits.Mapper)
	if !isMap {
		return types.MaybeNoSuchOverloadErr(other)
	}
	if t.Size() != oMap.Size() {
		return types.False
	}
	for key := range t.value { // every key has a schema
		v, found := t.Find(types.String(key))
		ov, oFound := oMap.Find(types.String(key))
		if found != oFound {
			return types.False
		}
		if !found {
			continue
		}
		if eq := v.Equal(ov); eq != types.True {
			return eq // either false or error
		}
	}
	return types.True
}

func (t *quickMap) Type() ref.Type { return types.MapType }

func (t *quickMap) Value() any { return t.value }

func (t *quickMap) Contains(key ref.Val) ref.Val {
	v, found := t.Find(key)
	if v != nil && types.IsUnknownOrError(v) {
		return v
	}
	return types.Bool(found)
}

func (t *quickMap) Get(key ref.Val) ref.Val {
	if v, found := t.Find(key); found {
		return v
	}
	return types.ValOrErr(key, "no such key: %v", key)
}

func (t *quickMap) Iterator() traits.Iterator {
	keys := make([]ref.Val, 0, len(t.value))
	for k := range t.value {
		if t.properties != nil {
			if escaped, ok := apiservercel.Escape(k); ok {
				k = escaped
			}
		}
		keys = append(keys, types.String(k))
	}
	return &quickMapIterator{quickMap: t, keys: keys}
}

type quickMapIterator struct {
	*quickMap
	keys []ref.Val
	idx  int
}

func (it *quickMapIterator) HasNext() ref.Val { return types.Bool(it.idx < len(it.keys)) }

func (it *quickMapIterator) Next() ref.Val {
	key := it.keys[it.idx]
	it.idx++
	return key
}

func (t *quickMap) Size() ref.Val { return types.Int(len(t.value)) }

func (t *quickMap) Find(key ref.Val) (ref.Val, bool) {
	keyStr, ok := key.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(key), true
	}
	k := string(keyStr)
	if t.properties == nil {
		v, ok := t.value[k]
		if !ok {
			return nil, false
		}
		return quickVal(v, t.additional), true
	}
	if strings.Contains(k, "__") { // escape sequences all start with "__"
		if k, ok = unescape(k); !ok {
			return nil, false
		}
	}
	v, ok := t.value[k]
	if !ok || v == nil { // null fields of objects read as absent
		return nil, false
	}
	s, ok := t.properties[k]
	if !ok {
		return nil, false
	}
	return quickVal(v, s), true
}

// quickList is an atomic list.
type quickList struct {
	elements []any
	items    common.Schema
	// values are the elements as CEL values, made on first use: the rules
	// of a node often iterate over the same list (a value serves one
	// evaluation goroutine).
	values []ref.Val
}

func (t *quickList) elementValues() []ref.Val {
	if t.values == nil {
		t.values = make([]ref.Val, len(t.elements))
		for i, item := range t.elements {
			t.values[i] = quickVal(item, t.items)
		}
	}
	return t.values
}

var _ traits.Lister = (*quickList)(nil)

func (t *quickList) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if typeDesc.Kind() == reflect.Slice {
		if t.items.Type() != "string" {
			return t.elements, nil
		}
		var result []string
		for _, e := range t.elements {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("expected all elements to be of type string, but got %T", e)
			}
			result = append(result, s)
		}
		return result, nil
	}
	return nil, fmt.Errorf("type conversion error from '%s' to '%s'", t.Type(), typeDesc)
}

func (t *quickList) ConvertToType(typeValue ref.Type) ref.Val {
	switch typeValue {
	case types.ListType:
		return t
	case types.TypeType:
		return types.ListType
	}
	return types.NewErr("type conversion error from '%s' to '%s'", t.Type(), typeValue.TypeName())
}

func (t *quickList) Equal(other ref.Val) ref.Val {
	oList, ok := other.(traits.Lister)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	sz := types.Int(len(t.elements))
	if sz != oList.Size() {
		return types.False
	}
	for i := range sz {
		if eq := t.Get(i).Equal(oList.Get(i)); eq != types.True {
			return eq // either false or error
		}
	}
	return types.True
}

func (t *quickList) Type() ref.Type { return types.ListType }

func (t *quickList) Value() any { return t.elements }

func (t *quickList) Add(other ref.Val) ref.Val {
	oList, ok := other.(traits.Lister)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	otherSz, _ := oList.Size().(types.Int)
	elements := make([]ref.Val, 0, len(t.elements)+int(otherSz))
	for i := range t.elements {
		elements = append(elements, t.Get(types.Int(i)))
	}
	for it := oList.Iterator(); it.HasNext() == types.True; {
		elements = append(elements, it.Next())
	}
	return types.NewRefValList(types.DefaultTypeAdapter, elements)
}

func (t *quickList) Contains(val ref.Val) ref.Val {
	if types.IsUnknownOrError(val) {
		return val
	}
	var err ref.Val
	for _, e := range t.elementValues() {
		cmp := e.Equal(val)
		b, ok := cmp.(types.Bool)
		if !ok && err == nil {
			err = types.MaybeNoSuchOverloadErr(cmp)
		}
		if b == types.True {
			return types.True
		}
	}
	if err != nil {
		return err
	}
	return types.False
}

func (t *quickList) Get(idx ref.Val) ref.Val {
	iv, isInt := idx.(types.Int)
	if !isInt {
		return types.ValOrErr(idx, "unsupported index: %v", idx)
	}
	i := int(iv)
	if i < 0 || i >= len(t.elements) {
		return types.NewErr("index out of bounds: %v", idx)
	}
	return t.elementValues()[i]
}

func (t *quickList) Iterator() traits.Iterator {
	return &quickListIterator{quickList: t, items: t.elementValues()}
}

type quickListIterator struct {
	*quickList
	items []ref.Val
	idx   int
}

func (it *quickListIterator) HasNext() ref.Val { return types.Bool(it.idx < len(it.items)) }

func (it *quickListIterator) Next() ref.Val {
	item := it.items[it.idx]
	it.idx++
	return item
}

func (t *quickList) Size() ref.Val { return types.Int(len(t.elements)) }

// unescapes remembers apiservercel.Unescape, a pure function of field names
// that runs a regular expression (rules use "__namespace__" and the like).
var unescapes sync.Map // string -> unescaped

type unescaped struct {
	name string
	ok   bool
}

func unescape(escaped string) (string, bool) {
	if u, ok := unescapes.Load(escaped); ok {
		return u.(unescaped).name, u.(unescaped).ok
	}
	name, ok := apiservercel.Unescape(escaped)
	unescapes.Store(escaped, unescaped{name: name, ok: ok})
	return name, ok
}
