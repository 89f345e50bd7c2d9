package intern

import (
	"math"
	"reflect"
	"sync"
)

// Limits of a Table: it holds at most MaxValues shared values (strings,
// pointers and slices), strings of at most MaxLen bytes and slices of at
// most MaxElems elements, and remembers at most maxSeen values seen once,
// forgotten all at once when full.
const (
	MaxValues = 4096
	MaxLen    = 256
	MaxElems  = 16
	maxSeen   = 4 * MaxValues
)

// Table holds the shared copies. It is safe for concurrent use; the zero
// value is ready.
type Table struct {
	mu   sync.Mutex
	strs map[string]string
	ptrs map[ptrKey]any
	// vals are the shared pointers to comparable structs and slices of
	// comparable elements, by value.
	vals map[valKey]any
	// seenStrs, seenPtrs and seenVals are the values seen once.
	seenStrs map[string]struct{}
	seenPtrs map[ptrKey]struct{}
	seenVals map[valKey]struct{}
	// whole caches comparesWhole by type.
	whole map[reflect.Type]bool
	// held are the addresses of the pointers and slices held (what they
	// point to): a walk never goes into them (see isHeld).
	held map[uintptr]struct{}
}

// ptrKey is the key of the shared pointer to a value: its type and its
// value (a string, or the bits of a number or a bool).
type ptrKey struct {
	typ  reflect.Type
	str  string
	bits uint64
}

// valKey is the key of a shared pointer to a comparable struct (its
// type and the struct) or of a shared slice of comparable elements (its
// type and its elements as an array).
type valKey struct {
	typ reflect.Type
	val any
}

// Object replaces the repeated values of obj, a pointer to a struct, by
// their shared copies; its content is unchanged.
func (t *Table) Object(obj any) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.walk(v.Elem())
}

// Len is the number of values the table holds.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.strs) + len(t.ptrs) + len(t.vals)
}

// walk interns what v holds; v is settable (reached through a pointer).
// Maps, interfaces and unexported fields are left alone.
func (t *Table) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		// Not v.Fields(): it builds each field's StructField (86 against 14
		// allocations a route, BenchmarkObject).
		for i := range v.NumField() { //nolint:modernize // see above
			if f := v.Field(i); f.CanSet() {
				t.walk(f)
			}
		}
	case reflect.Pointer:
		t.walkPointer(v)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 || v.Len() == 0 || t.isHeld(v) {
			return // bytes: data, not names; or a slice held, shared already
		}
		for i := range v.Len() {
			t.walk(v.Index(i))
		}
		t.shareSlice(v)
	case reflect.String:
		if s := v.String(); s != "" && len(s) <= MaxLen {
			v.SetString(t.shareString(s))
		}
	}
}

// walkPointer shares a pointer to a scalar, or walks the struct a pointer
// points to.
func (t *Table) walkPointer(v reflect.Value) {
	if v.IsNil() || t.isHeld(v) {
		return
	}
	elem := v.Elem()
	if elem.Kind() == reflect.Struct {
		t.walk(elem)
		if t.comparesWhole(elem.Type()) {
			if c := t.shareValue(valKey{elem.Type(), elem.Interface()}, v.Interface()); c != v.Interface() {
				v.Set(reflect.ValueOf(c))
			}
		}
		return
	}
	key, ok := keyOf(elem)
	if !ok {
		return
	}
	if c := t.sharePointer(key, v.Interface()); c != v.Interface() {
		v.Set(reflect.ValueOf(c))
		return
	}
	t.walk(elem) // the pointer is its own: its string may be shared
}

// shareSlice shares a slice of comparable elements (already walked): the
// one held for the same elements, or v itself, its capacity clipped so
// that appending to it copies (the second time its elements are seen).
func (t *Table) shareSlice(v reflect.Value) {
	typ := v.Type()
	n := v.Len()
	if n > MaxElems || !t.comparesWhole(typ.Elem()) {
		return
	}
	elems := reflect.New(reflect.ArrayOf(n, typ.Elem())).Elem()
	reflect.Copy(elems, v)
	clipped := v.Slice3(0, n, n)
	v.Set(reflect.ValueOf(t.shareValue(valKey{typ, elems.Interface()}, clipped.Interface())))
}

// comparesWhole is comparesWhole of typ, computed once per type. t.mu is
// held.
func (t *Table) comparesWhole(typ reflect.Type) bool {
	whole, ok := t.whole[typ]
	if !ok {
		whole = comparesWhole(typ)
		if t.whole == nil {
			t.whole = map[reflect.Type]bool{}
		}
		t.whole[typ] = whole
	}
	return whole
}

// comparesWhole reports whether values of t compare whole with ==, without
// a panic: no interface, map, slice or function inside.
func comparesWhole(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		for f := range t.Fields() {
			if !comparesWhole(f.Type) {
				return false
			}
		}
		return true
	case reflect.Array:
		return comparesWhole(t.Elem())
	case reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return false
	}
	return true
}

// keyOf returns the key of the shared pointer to v, false when pointers
// to v are not shared: v is not a scalar (whose values are compared
// whole), or a string longer than MaxLen.
func keyOf(v reflect.Value) (ptrKey, bool) {
	k := ptrKey{typ: v.Type()}
	switch v.Kind() {
	case reflect.String:
		k.str = v.String()
		return k, len(k.str) <= MaxLen
	case reflect.Bool:
		if v.Bool() {
			k.bits = 1
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		k.bits = uint64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		k.bits = v.Uint()
	case reflect.Float32, reflect.Float64:
		k.bits = math.Float64bits(v.Float())
	default:
		return ptrKey{}, false
	}
	return k, true
}

// isHeld reports whether v, a pointer or a slice, is one the table holds.
// Those are shared, and read by other goroutines: a walk does not go into
// them, though an object walked twice holds them (client-go's informers
// run their transform twice on the objects of a watch list, in the
// reflector's temporary store and again when replacing the queue's
// content), and writing even their own values back would race.
func (t *Table) isHeld(v reflect.Value) bool {
	_, ok := t.held[v.Pointer()]
	return ok
}

// hold records the address of p, a pointer or a slice the table holds.
func (t *Table) hold(p any) {
	if t.held == nil {
		t.held = map[uintptr]struct{}{}
	}
	t.held[reflect.ValueOf(p).Pointer()] = struct{}{}
}

// shareString returns the copy of s held (see share).
func (t *Table) shareString(s string) string { return share(t, &t.strs, &t.seenStrs, s, s, nil) }

// sharePointer returns the pointer held for key (see share).
func (t *Table) sharePointer(key ptrKey, p any) any {
	return share(t, &t.ptrs, &t.seenPtrs, key, p, t.hold)
}

// shareValue returns the value held for key (see share).
func (t *Table) shareValue(key valKey, v any) any {
	return share(t, &t.vals, &t.seenVals, key, v, t.hold)
}

// share returns the value held for key in held, holding v itself the
// second time key is seen while there is room (and passing it to
// onHold, when not nil). t.mu is held.
func share[K comparable, V any](t *Table, held *map[K]V, seen *map[K]struct{}, key K, v V, onHold func(any)) V {
	if c, ok := (*held)[key]; ok {
		return c
	}
	if admit(t, seen, key) {
		if *held == nil {
			*held = map[K]V{}
		}
		(*held)[key] = v
		if onHold != nil {
			onHold(v)
		}
	}
	return v
}

// admit reports whether a value not held is to be held: it was seen
// before (and is forgotten as seen) and there is room. A value seen for
// the first time is remembered. t.mu is held.
func admit[K comparable](t *Table, seen *map[K]struct{}, key K) bool {
	if _, ok := (*seen)[key]; !ok {
		if len(t.seenStrs)+len(t.seenPtrs)+len(t.seenVals) >= maxSeen {
			t.seenStrs, t.seenPtrs, t.seenVals = nil, nil, nil
		}
		if *seen == nil {
			*seen = make(map[K]struct{})
		}
		(*seen)[key] = struct{}{}
		return false
	}
	delete(*seen, key)
	return len(t.strs)+len(t.ptrs)+len(t.vals) < MaxValues
}
