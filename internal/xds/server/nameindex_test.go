package server

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// TestNameIndexPatchesAgreeWithAMap patches indexes of several sizes again
// and again, branching from older indexes too, and checks each against a
// map built from scratch: every name finds its latest entry, in overlays
// and after the base was rebuilt, and no patch changes an earlier index
// (each step checks the new index and an older one; the end checks all).
func TestNameIndexPatchesAgreeWithAMap(t *testing.T) {
	// Sizes 1 and 5 never rebuild their base: an overlay holds at most
	// every name, fewer than maxOverlay.
	for _, size := range []int{1, 5, 40, 2000} {
		rng := rand.New(rand.NewPCG(uint64(size), 3))
		names := make([]string, size)
		first := make([]*entry, size)
		for i := range names {
			names[i] = fmt.Sprintf("cluster-%d", i)
			first[i] = &entry{name: names[i], version: "0"}
		}
		type version struct {
			x    *nameIndex
			want map[string]*entry
		}
		history := []version{{x: newNameIndex(first), want: map[string]*entry{}}}
		for _, e := range first {
			history[0].want[e.name] = e
		}
		rebuilt := 0
		for step := 1; step <= 400; step++ {
			from := history[len(history)-1]
			if rng.IntN(10) == 0 { // branch from an older index
				from = history[rng.IntN(len(history))]
			}
			want := make(map[string]*entry, size)
			maps.Copy(want, from.want)
			var replaced []*entry
			for range 1 + rng.IntN(3) {
				e := &entry{name: names[rng.IntN(size)], version: fmt.Sprint(step)}
				replaced = append(replaced, e)
				want[e.name] = e
			}
			x := from.x.patched(replaced)
			if x.over == nil {
				rebuilt++
			}
			history = append(history, version{x: x, want: want})
			checkIndex(t, size, step, names, history[len(history)-1].x, want)
			older := history[rng.IntN(len(history))]
			checkIndex(t, size, step, names, older.x, older.want)
		}
		for _, h := range history {
			checkIndex(t, size, -1, names, h.x, h.want)
		}
		if rebuilt == 0 && size > maxOverlay(size) {
			t.Errorf("size %d: no patch rebuilt the base; the overlay path alone was tested", size)
		}
	}
	var none *nameIndex
	if _, ok := none.get("x"); ok {
		t.Error("a nil index finds a name")
	}
}

// checkIndex checks that x finds exactly want's entries (step -1: the
// final check of every index).
func checkIndex(t *testing.T, size, step int, names []string, x *nameIndex, want map[string]*entry) {
	t.Helper()
	for _, n := range names {
		if got, ok := x.get(n); !ok || got != want[n] {
			t.Fatalf("size %d step %d: an index finds %v for %s, want %v", size, step, got, n, want[n])
		}
	}
	if _, ok := x.get("absent"); ok {
		t.Fatalf("size %d step %d: an index finds a name it never had", size, step)
	}
}
