package hcm

import "testing"

func TestCanonicalPath(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"/", "/", true},
		{"/a/b", "/a/b", true},
		{"/a/./b", "/a/b", true},
		{"/a/../b", "/b", true},
		{"/../a", "/a", true},
		{"/a/b/..", "/a/", true},
		{"/a/b/.", "/a/b/", true},
		{"/a/%2e%2E/b", "/b", true},
		{"/a/%2e/b", "/a/b", true},
		{"/a.b/..c", "/a.b/..c", true},
		{`/a\b`, "/a/b", true},
		{`/a\..\b`, "/b", true},
		{"/%41%7e%2D%5f", "/A~-_", true},
		{"/%2f%3A%3a", "/%2f%3A%3a", true},
		{"/a b", "/a%20b", true},
		{"/a{b}|^`\"<>", "/a%7Bb%7D%7C%5E%60%22%3C%3E", true},
		{"/caf\xc3\xa9", "/caf%C3%A9", true},
		{"/%zz", "/%zz", true},
		{"/%", "/%", true},
		{"/a/..;x/b", "/b", true},
		{"/a/.;x/b", "/a/b", true},
		{"/a?x=/../y", "/a?x=/../y", true},
		{"/a/../b?q", "/b?q", true},
		{"//a//b", "//a//b", true},
		{"/a%00b", "", false},
		{"/a\x00b", "", false},
		{"/!$&'()*+,;=:@[]", "/!$&'()*+,;=:@[]", true},
	}
	for _, tt := range tests {
		got, ok := canonicalPath(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("canonicalPath(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMergeSlashes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/a/b", "/a/b"},
		{"//a///b//", "/a/b/"},
		{"//", "//"},
		{"/a//b?x=//y", "/a/b?x=//y"},
		{"/a?//", "/a?//"},
	}
	for _, tt := range tests {
		if got := mergeSlashes(tt.in); got != tt.want {
			t.Errorf("mergeSlashes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnescapeSlashes(t *testing.T) {
	tests := []struct {
		in, want string
		found    bool
	}{
		{"/a%2Fb%2fc", "/a/b/c", true},
		{"/a%5Cb%5cc", `/a\b\c`, true},
		{"/a%20b", "/a%20b", false},
		{"/a?x=%2F", "/a?x=%2F", false},
	}
	for _, tt := range tests {
		got, found := unescapeSlashes(tt.in)
		if got != tt.want || found != tt.found {
			t.Errorf("unescapeSlashes(%q) = %q, %v; want %q, %v", tt.in, got, found, tt.want, tt.found)
		}
	}
}
