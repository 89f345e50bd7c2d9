package sliceends

import "testing"

func TestCommon(t *testing.T) {
	tests := []struct {
		name           string
		a, b           string
		prefix, suffix int
	}{
		{"both empty", "", "", 0, 0},
		{"equal", "abc", "abc", 3, 0},
		{"one replaced", "abcde", "abXde", 2, 2},
		{"inserted", "abde", "abcde", 2, 2},
		{"removed", "abcde", "abde", 2, 2},
		{"first replaced", "abc", "Xbc", 0, 2},
		{"last replaced", "abc", "abX", 2, 0},
		{"all new", "abc", "XYZ", 0, 0},
		{"to empty", "abc", "", 0, 0},
		{"repeated elements do not overlap", "aaa", "aa", 2, 0},
		{"prefix of the other", "ab", "abab", 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, s := Common([]byte(tt.a), []byte(tt.b))
			if p != tt.prefix || s != tt.suffix {
				t.Fatalf("Common(%q, %q) = %d, %d; want %d, %d", tt.a, tt.b, p, s, tt.prefix, tt.suffix)
			}
			if p+s > min(len(tt.a), len(tt.b)) {
				t.Fatalf("Common(%q, %q): prefix and suffix overlap", tt.a, tt.b)
			}
		})
	}
}
