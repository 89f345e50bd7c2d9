package file

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortedSetsMatchSortedSlices checks sortedSets against sorted slices
// (updateSorted) over random additions and removals of a few values to a
// few keys: the same values in order, the same smallest, and no entry
// left for an emptied key.
func TestSortedSetsMatchSortedSlices(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sets := newSortedSets[int](cmp.Compare[int])
	want := map[int][]int{}
	for step := range 5000 {
		k, v, add := rng.IntN(4), rng.IntN(6), rng.IntN(2) == 0
		sets.update(k, v, add)
		if want[k] = updateSorted(want[k], v, add, cmp.Compare[int]); len(want[k]) == 0 {
			delete(want, k)
		}
		for k := range 4 {
			got := slices.Collect(sets.values(k))
			if !slices.Equal(got, want[k]) {
				t.Fatalf("step %d: key %d holds %v, want %v", step, k, got, want[k])
			}
			first, ok := sets.min(k)
			if ok != (len(want[k]) > 0) || (ok && first != want[k][0]) {
				t.Fatalf("step %d: key %d smallest %d, %v; want %v", step, k, first, ok, want[k])
			}
			if _, ok := sets.rest[k]; ok && len(want[k]) < 2 {
				t.Fatalf("step %d: key %d of %d values has a rest entry", step, k, len(want[k]))
			}
		}
	}
}
