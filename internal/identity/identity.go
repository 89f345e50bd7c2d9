package identity

import "reflect"

// Map reports whether a and b are the same map (both nil, or one map).
func Map[K comparable, V any](a, b map[K]V) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// Slice reports whether a and b are the same slice: the same length and,
// when not empty, the same backing array from the same element.
func Slice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
