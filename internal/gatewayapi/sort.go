package gatewayapi

import "slices"

// sortBy sorts s in the order less defines.
func sortBy[T any](s []T, less func(a, b T) bool) {
	slices.SortFunc(s, compareBy(less))
}

// sortStableBy sorts s in the order less defines, keeping equal elements in place.
func sortStableBy[T any](s []T, less func(a, b T) bool) {
	slices.SortStableFunc(s, compareBy(less))
}

func compareBy[T any](less func(a, b T) bool) func(a, b T) int {
	return func(a, b T) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	}
}
