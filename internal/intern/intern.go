package intern

import (
	"reflect"
	"sync"
)

// Limits of a Table: it holds at most MaxValues shared values of at most
// MaxLen bytes, and remembers at most maxSeen values seen once (forgotten
// all at once when full).
const (
	MaxValues = 4096
	MaxLen    = 256
	maxSeen   = 4 * MaxValues
)

// Table holds the shared copies. It is safe for concurrent use; the zero
// value is ready.
type Table struct {
	mu     sync.Mutex
	values map[any]any
	seen   map[any]struct{}
}

// ptrKey is the key of the shared pointer to a value (the value itself is
// the key of its shared string).
type ptrKey struct{ value any }

// Object replaces the repeated values of obj, a pointer to a struct, by
// their shared copies; its content is unchanged.
func (t *Table) Object(obj any) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() {
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
	return len(t.values)
}

// walk interns what v holds; v is settable (reached through a pointer).
func (t *Table) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				t.walk(f)
			}
		}
	case reflect.Pointer:
		t.walkPointer(v)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes: data, not names
		}
		for i := range v.Len() {
			t.walk(v.Index(i))
		}
	case reflect.String:
		if s := v.String(); s != "" && len(s) <= MaxLen {
			v.SetString(t.share(s, s).(string))
		}
	}
}

// walkPointer shares a pointer to a scalar, or walks the struct a pointer
// points to.
func (t *Table) walkPointer(v reflect.Value) {
	if v.IsNil() {
		return
	}
	elem := v.Elem()
	if elem.Kind() == reflect.Struct {
		t.walk(elem)
		return
	}
	if !scalar(elem.Kind()) || (elem.Kind() == reflect.String && len(elem.String()) > MaxLen) {
		return
	}
	c := t.share(ptrKey{elem.Interface()}, v.Interface())
	if c == v.Interface() {
		t.walk(elem) // the pointer is kept: its string may be shared
		return
	}
	v.Set(reflect.ValueOf(c))
}

// scalar reports whether values of kind k are compared whole: a pointer
// to one can stand for any other pointer to an equal value.
func scalar(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// share returns the value held for key, holding value for it the second
// time key is seen while there is room (value itself otherwise). t.mu is
// held.
func (t *Table) share(key, value any) any {
	if c, ok := t.values[key]; ok {
		return c
	}
	if _, ok := t.seen[key]; !ok {
		if len(t.seen) >= maxSeen || t.seen == nil {
			t.seen = make(map[any]struct{}, maxSeen)
		}
		t.seen[key] = struct{}{}
		return value
	}
	delete(t.seen, key)
	if len(t.values) < MaxValues {
		if t.values == nil {
			t.values = map[any]any{}
		}
		t.values[key] = value
	}
	return value
}
