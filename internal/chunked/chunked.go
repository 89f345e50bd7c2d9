package chunked

import (
	"encoding/json"
	"fmt"
	"iter"
	"slices"
)

// maxChunk is the most elements a chunk holds. A chunk of 256 16-byte
// elements is 4 KiB; of 256 48-byte ones, 12 KiB.
const maxChunk = 256

// minChunk is the size under which a chunk an edit made is merged with a
// neighbour that has room for it, so that many small edits do not leave
// many small chunks.
const minChunk = maxChunk / 4

// List is an immutable list of T. The zero List is empty. Lists are
// values: copying one copies its index, never its elements, and no method
// modifies the list it is called on.
type List[T any] struct {
	chunks [][]T
	// ends[c] is the number of elements in chunks[:c+1].
	ends []int
}

// Of returns a List holding a copy of s.
func Of[T any](s []T) List[T] {
	var l List[T]
	l.chunks = appendChunks(l.chunks, s)
	l.ends = endsOf(l.ends, l.chunks, 0)
	return l
}

// Len returns the number of elements of l.
func (l List[T]) Len() int {
	if len(l.ends) == 0 {
		return 0
	}
	return l.ends[len(l.ends)-1]
}

// At returns the i-th element of l. It panics when i is out of range, as
// indexing a slice does.
func (l List[T]) At(i int) T {
	if i < 0 || i >= l.Len() {
		panic(fmt.Sprintf("chunked: index %d out of range [0:%d]", i, l.Len()))
	}
	c := l.chunkOf(i)
	return l.chunks[c][i-l.start(c)]
}

// All yields the elements of l in order with their indexes.
func (l List[T]) All() iter.Seq2[int, T] {
	return func(yield func(int, T) bool) {
		i := 0
		for _, chunk := range l.chunks {
			for _, v := range chunk {
				if !yield(i, v) {
					return
				}
				i++
			}
		}
	}
}

// Slice returns the elements of l in a new slice.
func (l List[T]) Slice() []T {
	out := make([]T, 0, l.Len())
	for _, chunk := range l.chunks {
		out = append(out, chunk...)
	}
	return out
}

// Replace returns a list holding l's elements [0, start), then with, then
// l's elements [end, Len). It panics when start and end are not a valid
// range of l, as slices.Replace does. The new list shares l's chunks but
// those holding the elements around the run replaced, which it copies
// (with one neighbour, when they would make a small chunk); l is
// unchanged.
func (l List[T]) Replace(start, end int, with ...T) List[T] {
	n := l.Len()
	if start < 0 || end < start || end > n {
		panic(fmt.Sprintf("chunked: Replace range [%d:%d] out of range [0:%d]", start, end, n))
	}
	if n == 0 {
		return Of(with)
	}
	first := l.chunkOf(min(start, n-1))
	last := first
	if end > start {
		last = l.chunkOf(end - 1)
	}
	mid := make([]T, 0, maxChunk+len(with))
	mid = append(mid, l.chunks[first][:start-l.start(first)]...)
	mid = append(mid, with...)
	mid = append(mid, l.chunks[last][end-l.start(last):]...)
	first, last, mid = l.absorbNeighbour(first, last, mid)

	out := List[T]{chunks: make([][]T, 0, len(l.chunks)+len(mid)/maxChunk+1)}
	out.chunks = append(out.chunks, l.chunks[:first]...)
	out.chunks = appendChunks(out.chunks, mid)
	out.chunks = append(out.chunks, l.chunks[last+1:]...)
	out.ends = make([]int, 0, len(out.chunks))
	out.ends = endsOf(append(out.ends, l.ends[:first]...), out.chunks, first)
	return out
}

// absorbNeighbour returns the chunks [first, last] of l that mid replaces
// and mid, extended by the chunk after (or else before) them when mid is
// smaller than minChunk and the two fit in one chunk.
func (l List[T]) absorbNeighbour(first, last int, mid []T) (int, int, []T) {
	if len(mid) >= minChunk {
		return first, last, mid
	}
	if next := last + 1; next < len(l.chunks) && len(mid)+len(l.chunks[next]) <= maxChunk {
		return first, next, append(mid, l.chunks[next]...)
	}
	if prev := first - 1; prev >= 0 && len(mid)+len(l.chunks[prev]) <= maxChunk {
		return prev, last, append(append(make([]T, 0, maxChunk), l.chunks[prev]...), mid...)
	}
	return first, last, mid
}

// chunkOf returns the index of the chunk holding element i (0 <= i < Len).
func (l List[T]) chunkOf(i int) int {
	c, _ := slices.BinarySearch(l.ends, i+1) // the first chunk ending past i
	return c
}

// start returns the index of chunk c's first element.
func (l List[T]) start(c int) int {
	if c == 0 {
		return 0
	}
	return l.ends[c-1]
}

// appendChunks appends s to chunks as new chunks of near-equal sizes, none
// larger than maxChunk, each its own allocation.
func appendChunks[T any](chunks [][]T, s []T) [][]T {
	if len(s) == 0 {
		return chunks
	}
	k := (len(s) + maxChunk - 1) / maxChunk
	for i := range k {
		lo, hi := i*len(s)/k, (i+1)*len(s)/k
		chunks = append(chunks, append(make([]T, 0, hi-lo), s[lo:hi]...))
	}
	return chunks
}

// endsOf appends to ends (the ends of chunks[:from]) those of chunks[from:].
func endsOf[T any](ends []int, chunks [][]T, from int) []int {
	total := 0
	if from > 0 {
		total = ends[from-1]
	}
	for _, chunk := range chunks[from:] {
		total += len(chunk)
		ends = append(ends, total)
	}
	return ends
}

// Map returns a list of f applied to each element of l, in order, chunked
// as l is.
func Map[T any](l List[T], f func(T) T) List[T] {
	out := List[T]{chunks: make([][]T, len(l.chunks)), ends: l.ends}
	for c, chunk := range l.chunks {
		mapped := make([]T, len(chunk))
		for i, v := range chunk {
			mapped[i] = f(v)
		}
		out.chunks[c] = mapped
	}
	return out
}

// BinarySearchFunc searches l, sorted in the increasing order cmp defines,
// for target as slices.BinarySearchFunc does a slice: it returns the
// position where target is found, or where it would be inserted, and
// whether it is found.
func BinarySearchFunc[T, K any](l List[T], target K, cmp func(T, K) int) (int, bool) {
	// The first chunk whose last element is not less than target holds
	// target's position, when any chunk does.
	c, _ := slices.BinarySearchFunc(l.chunks, target, func(chunk []T, target K) int {
		return cmp(chunk[len(chunk)-1], target)
	})
	if c == len(l.chunks) {
		return l.Len(), false
	}
	i, found := slices.BinarySearchFunc(l.chunks[c], target, cmp)
	return l.start(c) + i, found
}

// IsZero reports whether l is empty (for the omitzero JSON option).
func (l List[T]) IsZero() bool { return l.Len() == 0 }

// MarshalJSON encodes l as a JSON array.
func (l List[T]) MarshalJSON() ([]byte, error) {
	return json.Marshal(l.Slice())
}

// UnmarshalJSON decodes a JSON array (or null) into l.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	var s []T
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*l = Of(s)
	return nil
}

// Cursor walks a list's elements in order. The zero Cursor is done.
type Cursor[T any] struct {
	chunks [][]T
	// c is the chunk of the element at the cursor, i its index in it.
	c, i int
}

// Cursor returns a cursor at l's first element.
func (l List[T]) Cursor() *Cursor[T] { return &Cursor[T]{chunks: l.chunks} }

// Done reports whether the cursor is past the list's last element.
func (c *Cursor[T]) Done() bool { return c.c == len(c.chunks) }

// Value returns the element at the cursor (not Done).
func (c *Cursor[T]) Value() T { return c.chunks[c.c][c.i] }

// Next moves the cursor to the next element (not Done).
func (c *Cursor[T]) Next() {
	if c.i++; c.i == len(c.chunks[c.c]) {
		c.c, c.i = c.c+1, 0
	}
}

// SkipShared moves a and b past the chunk they are at, and reports true,
// when both are at the start of one chunk the two lists share (a list and
// one Replace made from it share the chunks the edit did not touch): the
// elements of that chunk are the same in both walks.
func SkipShared[T any](a, b *Cursor[T]) bool {
	if a.Done() || b.Done() || a.i != 0 || b.i != 0 {
		return false
	}
	ca, cb := a.chunks[a.c], b.chunks[b.c]
	if len(ca) != len(cb) || &ca[0] != &cb[0] {
		return false
	}
	a.c, b.c = a.c+1, b.c+1
	return true
}
