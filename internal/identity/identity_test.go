package identity

import (
	"maps"
	"testing"
)

func TestMap(t *testing.T) {
	a := map[string]int{"x": 1}
	tests := []struct {
		name string
		a, b map[string]int
		want bool
	}{
		{"the same map", a, a, true},
		{"an equal copy", a, maps.Clone(a), false},
		{"both nil", nil, nil, true},
		{"nil and empty", nil, map[string]int{}, false},
	}
	for _, tt := range tests {
		if got := Map(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: Map = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSlice(t *testing.T) {
	s := []int{1, 2, 3}
	tests := []struct {
		name string
		a, b []int
		want bool
	}{
		{"the same slice", s, s, true},
		{"an equal copy", s, []int{1, 2, 3}, false},
		{"a shorter slice of it", s, s[:2], false},
		{"a slice from further on", s[1:], s[1:], true},
		{"shifted", s[:2], s[1:], false},
		{"both empty", nil, []int{}, true},
	}
	for _, tt := range tests {
		if got := Slice(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: Slice = %v, want %v", tt.name, got, tt.want)
		}
	}
}
