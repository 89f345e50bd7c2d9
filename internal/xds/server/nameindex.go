package server

import "maps"

// nameIndex holds the entries of one partial type (see partialCache) by
// resource name. It is never modified once built.
//
// An index patched from another shares that one's base map and has an
// overlay of its own: the entries replaced since the base was built. An
// endpoint change replacing a few of 20,000 assignments thus copies the
// overlay, not a map of every assignment. Once the overlay would outgrow
// maxOverlay, the patch builds a new base holding everything, so a run of
// patches costs, per replaced entry, a share of one full copy
// (len/maxOverlay entries) plus the overlay copies (at most maxOverlay).
type nameIndex struct {
	base map[string]*entry
	over map[string]*entry
}

// newNameIndex returns the index of entries (whose names are unique).
func newNameIndex(entries []*entry) *nameIndex {
	base := make(map[string]*entry, len(entries))
	for _, e := range entries {
		base[e.name] = e
	}
	return &nameIndex{base: base}
}

// get returns the entry named name; a nil index has none.
func (x *nameIndex) get(name string) (*entry, bool) {
	if x == nil {
		return nil, false
	}
	if e, ok := x.over[name]; ok {
		return e, true
	}
	e, ok := x.base[name]
	return e, ok
}

// nameOf returns the name of the entry named name as the index holds it.
// (Indexing a map with string(name) makes no copy of name.)
func (x *nameIndex) nameOf(name []byte) (string, bool) {
	if x == nil {
		return "", false
	}
	if e, ok := x.over[string(name)]; ok {
		return e.name, true
	}
	if e, ok := x.base[string(name)]; ok {
		return e.name, true
	}
	return "", false
}

// patched returns the index of x's entries with replaced put in place of
// the entries of the same names, which x must have (a patch keeps the
// names).
func (x *nameIndex) patched(replaced []*entry) *nameIndex {
	if len(x.over)+len(replaced) > maxOverlay(len(x.base)) {
		base := maps.Clone(x.base)
		maps.Copy(base, x.over)
		for _, e := range replaced {
			base[e.name] = e
		}
		return &nameIndex{base: base}
	}
	over := make(map[string]*entry, len(x.over)+len(replaced))
	maps.Copy(over, x.over)
	for _, e := range replaced {
		over[e.name] = e
	}
	return &nameIndex{base: x.base, over: over}
}

// maxOverlay is the largest overlay kept over a base of n entries: about
// the square root of n balances the overlay copies of every patch against
// the full copies; 32 + n/32 is close at the sizes that matter (20,000
// assignments: 657) and keeps small indexes from being copied whole.
func maxOverlay(n int) int { return 32 + n/32 }
