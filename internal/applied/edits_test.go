package applied

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// TestEdits makes a few random insertions, removals and moves in a list
// of 10,000 IR routes and checks what edits finds: taking what went from
// the old list and what came from the new one leaves the same list, and
// it found no more edits than were made. Past its bound it gives up.
func TestEdits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	newRoutes := func(n int) []*ir.HTTPRoute {
		out := make([]*ir.HTTPRoute, n)
		for i := range out {
			out[i] = &ir.HTTPRoute{}
		}
		return out
	}
	for trial := range 200 {
		old := newRoutes(10000)
		cur := slices.Clone(old)
		made := 0
		for range 1 + rng.IntN(12) {
			switch i := rng.IntN(len(cur)); rng.IntN(3) {
			case 0:
				cur = slices.Insert(cur, i, &ir.HTTPRoute{})
				made++
			case 1:
				cur = slices.Delete(cur, i, i+1)
				made++
			default:
				r := cur[i]
				cur = slices.Delete(cur, i, i+1)
				cur = slices.Insert(cur, rng.IntN(len(cur)+1), r)
				made += 2
			}
		}
		gone, came, ok := edits(old, cur, maxEdits)
		if !ok {
			t.Fatalf("trial %d: %d edits made, none found", trial, made)
		}
		if len(gone)+len(came) > made {
			t.Fatalf("trial %d: %d edits made, %d found", trial, made, len(gone)+len(came))
		}
		if kept, keptCur := without(old, gone), without(cur, came); !slices.Equal(kept, keptCur) {
			t.Fatalf("trial %d: the lists without the edits differ (%d and %d IR routes)", trial, len(kept), len(keptCur))
		}
	}
	if _, _, ok := edits(newRoutes(500), newRoutes(500), maxEdits); ok {
		t.Error("two lists with nothing in common: edits found")
	}
	old := newRoutes(100)
	if _, _, ok := edits(old, old[10:], 9); ok {
		t.Error("10 IR routes gone: found within a limit of 9")
	}
	if gone, came, ok := edits(old, old[10:], 10); !ok || !slices.Equal(gone, old[:10]) || len(came) != 0 {
		t.Errorf("10 IR routes gone: found %d gone, %d came, %v", len(gone), len(came), ok)
	}
}

// without returns list without the elements of drop (each once, in order:
// drop is a subsequence of list).
func without(list, drop []*ir.HTTPRoute) []*ir.HTTPRoute {
	out := make([]*ir.HTTPRoute, 0, len(list))
	for _, r := range list {
		if len(drop) > 0 && r == drop[0] {
			drop = drop[1:]
			continue
		}
		out = append(out, r)
	}
	return out
}
