package file

import (
	"iter"
	"slices"
)

// sortedSets maps keys to sorted sets of unique values. The smallest value
// of each key is held apart from the others, which are rare here (an
// object several files define, a Service whose slices are in several
// files): a key costs its map entry, not a slice besides (one per object
// in force, 50,000 at 10,000 routes).
type sortedSets[K comparable, V any] struct {
	compare func(a, b V) int
	first   map[K]V
	rest    map[K][]V
}

func newSortedSets[K comparable, V any](compare func(a, b V) int) sortedSets[K, V] {
	return sortedSets[K, V]{compare: compare, first: map[K]V{}, rest: map[K][]V{}}
}

// min returns the smallest value of k's set, false when it is empty.
func (s *sortedSets[K, V]) min(k K) (V, bool) {
	v, ok := s.first[k]
	return v, ok
}

// values yields the values of k's set in order.
func (s *sortedSets[K, V]) values(k K) iter.Seq[V] {
	return func(yield func(V) bool) {
		first, ok := s.first[k]
		if !ok || !yield(first) {
			return
		}
		for _, v := range s.rest[k] {
			if !yield(v) {
				return
			}
		}
	}
}

// add adds v to k's set.
func (s *sortedSets[K, V]) add(k K, v V) {
	first, ok := s.first[k]
	if !ok {
		s.first[k] = v
		return
	}
	switch c := s.compare(v, first); {
	case c < 0:
		s.rest[k] = slices.Insert(s.rest[k], 0, first)
		s.first[k] = v
	case c > 0:
		s.rest[k] = updateSorted(s.rest[k], v, true, s.compare)
	}
}

// remove removes v from k's set.
func (s *sortedSets[K, V]) remove(k K, v V) {
	first, ok := s.first[k]
	if !ok {
		return
	}
	rest := s.rest[k]
	switch c := s.compare(v, first); {
	case c == 0 && len(rest) == 0:
		delete(s.first, k)
		return
	case c == 0:
		s.first[k] = rest[0]
		rest = slices.Delete(rest, 0, 1)
	case c > 0:
		rest = updateSorted(rest, v, false, s.compare)
	default:
		return // not in the set: smaller than its smallest
	}
	if len(rest) == 0 {
		delete(s.rest, k)
	} else {
		s.rest[k] = rest
	}
}

// update adds v to k's set, or removes it.
func (s *sortedSets[K, V]) update(k K, v V, add bool) {
	if add {
		s.add(k, v)
	} else {
		s.remove(k, v)
	}
}
