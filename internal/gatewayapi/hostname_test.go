package gatewayapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHostnameCovers(t *testing.T) {
	tests := []struct {
		outer, inner string
		want         bool
	}{
		{"", "", true},
		{"", "a.example.com", true},
		{"", "*.example.com", true},
		{"a.example.com", "", false},
		{"*.example.com", "", false},
		{"a.example.com", "a.example.com", true},
		{"a.example.com", "b.example.com", false},
		{"a.example.com", "*.example.com", false},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "a.b.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "aexample.com", false},
		{"*.example.com", "*.example.com", true},
		{"*.example.com", "*.a.example.com", true},
		{"*.a.example.com", "*.example.com", false},
		{"*.example.com", "*.example.org", false},
		{"*.com", "*.example.com", true},
	}
	for _, tt := range tests {
		if got := hostnameCovers(tt.outer, tt.inner); got != tt.want {
			t.Errorf("hostnameCovers(%q, %q) = %v, want %v", tt.outer, tt.inner, got, tt.want)
		}
	}
}

func TestIntersectHostname(t *testing.T) {
	tests := []struct {
		route, listener string
		want            string
		ok              bool
	}{
		{"a.example.com", "", "a.example.com", true},
		{"*.example.com", "", "*.example.com", true},
		{"a.example.com", "a.example.com", "a.example.com", true},
		{"a.example.com", "b.example.com", "", false},
		{"a.example.com", "*.example.com", "a.example.com", true},
		{"a.b.example.com", "*.example.com", "a.b.example.com", true},
		{"example.com", "*.example.com", "", false},
		{"*.example.com", "a.example.com", "a.example.com", true},
		{"*.example.com", "example.com", "", false},
		{"*.example.com", "*.example.com", "*.example.com", true},
		{"*.example.com", "*.foo.example.com", "*.foo.example.com", true},
		{"*.foo.example.com", "*.example.com", "*.foo.example.com", true},
		{"*.example.org", "*.example.com", "", false},
		{"*.wildcard.io", "very.specific.com", "", false},
	}
	for _, tt := range tests {
		got, ok := intersectHostname(tt.route, tt.listener)
		if got != tt.want || ok != tt.ok {
			t.Errorf("intersectHostname(%q, %q) = %q, %v; want %q, %v", tt.route, tt.listener, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIntersectHostnames(t *testing.T) {
	tests := []struct {
		name     string
		route    []string
		listener string
		want     []string
	}{
		{"no route hostnames takes the listener's", nil, "a.example.com", []string{"a.example.com"}},
		{"no hostnames at all is any", nil, "", []string{""}},
		{"keeps matches in route order", []string{"b.example.com", "x.org", "a.example.com"}, "*.example.com", []string{"b.example.com", "a.example.com"}},
		{"narrows and deduplicates", []string{"*.example.com", "*.foo.example.com"}, "*.foo.example.com", []string{"*.foo.example.com"}},
		{"nothing in common", []string{"x.org"}, "*.example.com", []string{}},
		{"all covered", []string{"a.example.com", "*.b.example.com"}, "*.example.com", []string{"a.example.com", "*.b.example.com"}},
		{"all covered by any", []string{"a.example.com", "b.org"}, "", []string{"a.example.com", "b.org"}},
		{"all covered, with a repeat", []string{"a.example.com", "a.example.com"}, "", []string{"a.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, intersectHostnames(tt.route, tt.listener)); diff != "" {
				t.Errorf("intersectHostnames(%q, %q) (-want +got):\n%s", tt.route, tt.listener, diff)
			}
		})
	}
}

func TestValidateHostname(t *testing.T) {
	tests := []struct {
		h     string
		valid bool
	}{
		{"example.com", true},
		{"*.example.com", true},
		{"a-b.c", true},
		{"*", false},
		{"*.*.example.com", false},
		{"foo.*.example.com", false},
		{"Example.com", false},
		{"10.0.0.1", false},
		{"::1", false},
		{"", false},
		{"-bad.example.com", false},
	}
	for _, tt := range tests {
		if err := validateHostname(tt.h); (err == nil) != tt.valid {
			t.Errorf("validateHostname(%q) = %v, want valid=%v", tt.h, err, tt.valid)
		}
	}
}

func TestLessHostname(t *testing.T) {
	// Sorted from most to least specific.
	ordered := []string{"a.example.com", "b.example.com", "z.org", "*.a.example.com", "*.b.example.com", "*.example.com", "*.com", ""}
	for i := range ordered {
		for j := range ordered {
			if got, want := lessHostname(ordered[i], ordered[j]), i < j; got != want {
				t.Errorf("lessHostname(%q, %q) = %v, want %v", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestIsolatedHostnames(t *testing.T) {
	listeners := map[string]*listenerModel{}
	hostnames := []string{"", "*.example.com", "*.foo.example.com", "abc.foo.example.com"}
	all := make([]*listenerModel, 0, len(hostnames))
	for _, h := range hostnames {
		l := &listenerModel{hostname: h}
		listeners[h] = l
		all = append(all, l)
	}
	for _, l := range all {
		for _, o := range all {
			if o != l {
				l.programmedSiblings = append(l.programmedSiblings, o)
			}
		}
	}
	route := []string{"bar.com", "*.example.com", "*.foo.example.com", "abc.foo.example.com", "x.foo.example.com"}
	tests := []struct {
		listener string
		want     []string
	}{
		{"", []string{"bar.com"}},
		{"*.example.com", []string{"*.example.com"}},
		{"*.foo.example.com", []string{"*.foo.example.com", "x.foo.example.com"}},
		{"abc.foo.example.com", []string{"abc.foo.example.com"}},
	}
	for _, tt := range tests {
		l := listeners[tt.listener]
		got := isolatedHostnames(l, intersectHostnames(route, tt.listener))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("listener %q (-want +got):\n%s", tt.listener, diff)
		}
	}
	lone := &listenerModel{hostname: ""}
	if diff := cmp.Diff(route, isolatedHostnames(lone, route)); diff != "" {
		t.Errorf("a listener without siblings keeps every hostname (-want +got):\n%s", diff)
	}
}
