package router

import (
	"maps"
	"slices"
	"strings"
)

// Headers is an HTTP header map keyed by lower-case name, with every value
// of a name in arrival order. It holds regular headers only: the request
// pseudo-headers (:method, :authority, :path, :scheme) are fields of
// Request and Forward.
type Headers map[string][]string

// Get returns the first value of name, or "".
func (h Headers) Get(name string) string {
	if v := h[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of name.
func (h Headers) Values(name string) []string {
	return h[strings.ToLower(name)]
}

// Has reports whether name has at least one value.
func (h Headers) Has(name string) bool {
	return len(h[strings.ToLower(name)]) > 0
}

// Add appends a value to name (Envoy's addCopy).
func (h Headers) Add(name, value string) {
	k := strings.ToLower(name)
	h[k] = append(h[k], value)
}

// Set replaces every value of name with value (Envoy's setCopy).
func (h Headers) Set(name, value string) {
	h[strings.ToLower(name)] = []string{value}
}

// Del removes every value of name.
func (h Headers) Del(name string) {
	delete(h, strings.ToLower(name))
}

// Clone returns a deep copy; the clone of nil is an empty map.
func (h Headers) Clone() Headers {
	out := make(Headers, len(h))
	for k, v := range h {
		out[k] = slices.Clone(v)
	}
	return out
}

// Names returns the header names in sorted order.
func (h Headers) Names() []string {
	return slices.Sorted(maps.Keys(h))
}

// normalizeHeaders returns a copy of h keyed by lower-case names (values of
// names differing only in case are concatenated in map order of the input,
// which callers avoid by passing lower-case names).
func normalizeHeaders(h Headers) Headers {
	out := make(Headers, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		lk := strings.ToLower(k)
		out[lk] = append(out[lk], h[k]...)
	}
	return out
}
