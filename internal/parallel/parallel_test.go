package parallel

import (
	"sync/atomic"
	"testing"
)

func TestFor(t *testing.T) {
	cases := []struct {
		name       string
		n, workers int
	}{
		{"nothing", 0, 0},
		{"one item", 1, 4},
		{"one worker", 100, 1},
		{"default workers", 1000, 0},
		{"more workers than items", 3, 16},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := make([]atomic.Int32, tc.n)
			For(tc.n, tc.workers, func(i int) { calls[i].Add(1) })
			for i := range calls {
				if c := calls[i].Load(); c != 1 {
					t.Errorf("fn(%d) called %d times, want once", i, c)
				}
			}
		})
	}
}
