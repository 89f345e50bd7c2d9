package sliceends

// Common returns the length of the longest common prefix of a and b, and
// that of their longest common suffix not overlapping it (elements
// compared with ==). a[prefix:len(a)-suffix] and b[prefix:len(b)-suffix]
// are then the runs where they differ.
func Common[T comparable](a, b []T) (prefix, suffix int) {
	n := min(len(a), len(b))
	for prefix < n && a[prefix] == b[prefix] {
		prefix++
	}
	for suffix < n-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	return prefix, suffix
}
