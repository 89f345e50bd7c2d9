package translator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMisdirectedHostnames(t *testing.T) {
	tests := []struct {
		name        string
		own, others []string
		want        []string
	}{
		{"catch-all listener alone", []string{"*"}, nil, nil},
		{"catch-all with named siblings", []string{"*"}, []string{"a.com", "*.b.com", "*"}, []string{"a.com", "*.b.com"}},
		{"named listener", []string{"a.com"}, []string{"*", "c.com", "c.com"}, []string{"c.com", "*"}},
		{"wildcard listener with a more specific sibling", []string{"*.b.com"}, []string{"x.b.com"}, []string{"x.b.com", "*"}},
		{"sibling with the same hostname", []string{"a.com"}, []string{"a.com"}, []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, misdirectedHostnames(tt.own, tt.others)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
