package applied

import (
	"slices"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// maxEdits bounds the edit distance edits looks for: a change of one
// HTTPRoute adds and removes a few IR routes per listener; past the bound
// (a full translation's new IR routes) the search costs more than
// indexing the fleet whole.
const maxEdits = 64

// edits returns the elements of o and c (compared by pointer) outside a
// longest common subsequence of both: those that went and those that came,
// with false when they number more than limit. It is the greedy shortest
// edit script search (Myers' O((N+M)D) algorithm), whose cost grows with the
// number of edits, not the lists' lengths squared: a route's IR routes
// inserted far apart into a listener's 20,000 are found in one pass. An IR
// route that moved is both gone and came.
func edits(o, c []*ir.HTTPRoute, limit int) (gone, came []*ir.HTTPRoute, ok bool) {
	limit = min(limit, maxEdits)
	// furthest[k+off] is the furthest index into o reached on diagonal k
	// (index into o minus index into c) with the edits made so far;
	// rounds[d] is furthest before the d-th edit, kept to walk back.
	off := limit + 1
	furthest := make([]int, 2*limit+3)
	var rounds [][]int
	for d := 0; d <= limit; d++ {
		rounds = append(rounds, append([]int(nil), furthest[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			x := nextX(furthest, off, k, d)
			y := x - k
			for x < len(o) && y < len(c) && o[x] == c[y] {
				x, y = x+1, y+1
			}
			furthest[k+off] = x
			if x >= len(o) && y >= len(c) {
				gone, came = walkBack(o, c, rounds, k)
				return gone, came, true
			}
		}
	}
	return nil, nil, false
}

// nextX is where the d-th edit on diagonal k starts from: one element of c
// taken (down from diagonal k+1) or one of o dropped (right from k-1),
// whichever reached further.
func nextX(furthest []int, off, k, d int) int {
	if k == -d || k != d && furthest[k-1+off] < furthest[k+1+off] {
		return furthest[k+1+off]
	}
	return furthest[k-1+off] + 1
}

// walkBack follows the edits from the end (on diagonal k) back to the
// start, collecting the elements each dropped or took, in list order.
func walkBack(o, c []*ir.HTTPRoute, rounds [][]int, k int) (gone, came []*ir.HTTPRoute) {
	for d := len(rounds) - 1; d > 0; d-- {
		// rounds[d] holds diagonals -d..d at offset d.
		prev := rounds[d]
		off := d
		var prevK int
		if k == -d || k != d && prev[k-1+off] < prev[k+1+off] {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := prev[prevK+off]
		if prevK == k+1 {
			came = append(came, c[prevX-prevK])
		} else {
			gone = append(gone, o[prevX])
		}
		k = prevK
	}
	slices.Reverse(gone)
	slices.Reverse(came)
	return gone, came
}
