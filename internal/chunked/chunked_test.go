package chunked

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// check fails unless l holds want and its index is consistent: no chunk
// empty or over maxChunk, ends the running sums.
func check(t *testing.T, l List[int], want []int) {
	t.Helper()
	if got := l.Slice(); !slices.Equal(got, want) {
		t.Fatalf("list holds %v, want %v", got, want)
	}
	if l.Len() != len(want) {
		t.Fatalf("Len() = %d, want %d", l.Len(), len(want))
	}
	if len(l.ends) != len(l.chunks) {
		t.Fatalf("%d ends for %d chunks", len(l.ends), len(l.chunks))
	}
	total := 0
	for c, chunk := range l.chunks {
		if len(chunk) == 0 || len(chunk) > maxChunk {
			t.Fatalf("chunk %d holds %d elements, want 1 to %d", c, len(chunk), maxChunk)
		}
		total += len(chunk)
		if l.ends[c] != total {
			t.Fatalf("ends[%d] = %d, want %d", c, l.ends[c], total)
		}
	}
	for i, v := range want {
		if got := l.At(i); got != v {
			t.Fatalf("At(%d) = %d, want %d", i, got, v)
		}
	}
	for i, v := range l.All() {
		if v != want[i] {
			t.Fatalf("All yields %d at %d, want %d", v, i, want[i])
		}
	}
}

func TestOf(t *testing.T) {
	for _, n := range []int{0, 1, maxChunk - 1, maxChunk, maxChunk + 1, 3*maxChunk + 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := seq(n)
			l := Of(s)
			check(t, l, seq(n))
			if n > 0 {
				s[0] = -1
			}
			check(t, l, seq(n)) // Of copies
		})
	}
}

func TestReplace(t *testing.T) {
	n := 3*maxChunk + 10
	tests := []struct {
		name       string
		start, end int
		with       []int
	}{
		{"one replaced in the middle", n / 2, n/2 + 1, []int{-1}},
		{"one inserted at the start", 0, 0, []int{-1}},
		{"one inserted at the end", n, n, []int{-1}},
		{"one removed at a chunk's end", maxChunk - 1, maxChunk, nil},
		{"a run across chunks removed", maxChunk - 3, 2*maxChunk + 3, nil},
		{"a run across chunks replaced by more", maxChunk - 3, maxChunk + 3, seq(2 * maxChunk)},
		{"all removed", 0, n, nil},
		{"all replaced", 0, n, []int{-1, -2}},
		{"nothing replaced", 5, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := Of(seq(n))
			got := orig.Replace(tt.start, tt.end, tt.with...)
			check(t, got, slices.Replace(seq(n), tt.start, tt.end, tt.with...))
			check(t, orig, seq(n))
		})
	}
}

func TestReplaceOnEmpty(t *testing.T) {
	var l List[int]
	check(t, l, nil)
	check(t, l.Replace(0, 0, 1, 2), []int{1, 2})
	check(t, l.Replace(0, 0), nil)
}

func TestReplacePanicsOutOfRange(t *testing.T) {
	l := Of(seq(10))
	for _, r := range [][2]int{{-1, 0}, {3, 2}, {0, 11}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Replace(%d, %d) on 10 elements did not panic", r[0], r[1])
				}
			}()
			l.Replace(r[0], r[1])
		}()
	}
}

// TestReplaceShares checks that an edit of one element among many copies
// the chunk holding it (and at most one neighbour), sharing the others.
func TestReplaceShares(t *testing.T) {
	n := 20000
	l := Of(seq(n))
	for _, at := range []int{0, 1, n / 3, n - 1} {
		for name, next := range map[string]List[int]{
			"replaced": l.Replace(at, at+1, -1),
			"inserted": l.Replace(at, at, -1),
			"removed":  l.Replace(at, at+1),
		} {
			shared := 0
			old := map[*int]bool{}
			for _, chunk := range l.chunks {
				old[&chunk[0]] = true
			}
			for _, chunk := range next.chunks {
				if old[&chunk[0]] {
					shared++
				}
			}
			if copied := len(next.chunks) - shared; copied > 2 {
				t.Errorf("%s at %d: %d of %d chunks copied, want at most 2", name, at, copied, len(next.chunks))
			}
		}
	}
}

// TestReplaceRandom applies random edits to a list and to a slice and
// compares them after each, the chunk count staying within twice the
// fewest chunks that hold the elements, plus one.
func TestReplaceRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := seq(2000)
	l := Of(want)
	next := 2000
	for step := range 3000 {
		start := rng.IntN(len(want) + 1)
		end := start + rng.IntN(min(len(want)-start, 5)+1)
		n := rng.IntN(4 + step%300/299*400) // now and then a long run
		with := make([]int, 0, n)
		for range n {
			with = append(with, next)
			next++
		}
		want = slices.Replace(want, start, end, with...)
		l = l.Replace(start, end, with...)
		check(t, l, want)
		if bound := 2*((len(want)+maxChunk-1)/maxChunk) + 1; len(l.chunks) > bound {
			t.Fatalf("step %d: %d chunks for %d elements, want at most %d", step, len(l.chunks), len(want), bound)
		}
	}
}

// TestReplaceShrinkingMerges removes elements one by one from many chunks
// down to a few: the small chunks left are merged, so the chunk count
// follows the element count down.
func TestReplaceShrinkingMerges(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	want := seq(8 * maxChunk)
	l := Of(want)
	for len(want) > maxChunk/2 {
		at := rng.IntN(len(want))
		want = slices.Delete(want, at, at+1)
		l = l.Replace(at, at+1)
	}
	check(t, l, want)
	if len(l.chunks) > 1 {
		t.Fatalf("%d chunks for %d elements, want 1", len(l.chunks), len(want))
	}
}

func TestMap(t *testing.T) {
	l := Of(seq(3*maxChunk+5)).Replace(10, 20)
	doubled := Map(l, func(v int) int { return 2 * v })
	want := l.Slice()
	for i := range want {
		want[i] *= 2
	}
	check(t, doubled, want)
	check(t, l, slices.Delete(seq(3*maxChunk+5), 10, 20))
	for c := range l.chunks {
		if &l.chunks[c][0] == &doubled.chunks[c][0] {
			t.Fatalf("chunk %d shared: Map modified l", c)
		}
	}
}

func TestBinarySearchFunc(t *testing.T) {
	even := make([]int, 0, 1000)
	for i := range 1000 {
		even = append(even, 2*i)
	}
	l := Of(even).Replace(300, 310) // chunks of unequal sizes
	want := l.Slice()
	cmp := func(a, b int) int { return a - b }
	for target := -1; target <= 2001; target++ {
		gotAt, gotFound := BinarySearchFunc(l, target, cmp)
		wantAt, wantFound := slices.BinarySearchFunc(want, target, cmp)
		if gotAt != wantAt || gotFound != wantFound {
			t.Fatalf("BinarySearchFunc(%d) = %d, %v; want %d, %v", target, gotAt, gotFound, wantAt, wantFound)
		}
	}
	if at, found := BinarySearchFunc(List[int]{}, 5, cmp); at != 0 || found {
		t.Fatalf("BinarySearchFunc on an empty list = %d, %v; want 0, false", at, found)
	}
}

func TestJSON(t *testing.T) {
	type doc struct {
		L List[int] `json:"l,omitzero"`
	}
	for _, want := range [][]int{nil, {1}, seq(3*maxChunk + 1)} {
		b, err := json.Marshal(doc{L: Of(want)})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 && string(b) != "{}" {
			t.Fatalf("an empty list encodes as %s, want {} (omitzero)", b)
		}
		var got doc
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		check(t, got.L, want)
	}
	var l List[int]
	if err := json.Unmarshal([]byte(`{"a": 1}`), &l); err == nil {
		t.Fatal("decoding an object into a list did not fail")
	}
}

// TestCursorSkipShared walks a list and a Replace made from it side by
// side: the walk sees every element of both, and skips all chunks but
// those the edit touched.
func TestCursorSkipShared(t *testing.T) {
	l := Of(seq(20000))
	next := l.Replace(10000, 10001, -1)
	a, b := l.Cursor(), next.Cursor()
	var seenA, seenB []int
	skipped := 0
	for !a.Done() || !b.Done() {
		if SkipShared(a, b) {
			skipped++
			continue
		}
		if !a.Done() {
			seenA = append(seenA, a.Value())
			a.Next()
		}
		if !b.Done() {
			seenB = append(seenB, b.Value())
			b.Next()
		}
	}
	if len(seenA) > 2*maxChunk || len(seenB) > 2*maxChunk {
		t.Fatalf("walked %d and %d elements outside shared chunks, want at most %d", len(seenA), len(seenB), 2*maxChunk)
	}
	if !slices.Contains(seenA, 10000) || !slices.Contains(seenB, -1) {
		t.Fatal("the walk skipped the edited chunk")
	}
	if skipped+2 < len(l.chunks) {
		t.Fatalf("skipped %d of %d chunks", skipped, len(l.chunks))
	}
	var all []int
	for c := l.Cursor(); !c.Done(); c.Next() {
		all = append(all, c.Value())
	}
	if !slices.Equal(all, seq(20000)) {
		t.Fatal("a cursor does not walk the list in order")
	}
	if !(&Cursor[int]{}).Done() || !(List[int]{}).Cursor().Done() {
		t.Fatal("the cursor of an empty list is not done")
	}
}
