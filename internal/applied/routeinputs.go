package applied

import (
	"maps"

	"github.com/envoygw/envoy-gateway/internal/identity"
)

// routeInputs are a fleet's HTTPRoute inputs by key ("HTTPRoute
// <namespace>/<name>"), never modified once made. Inputs patched from
// others (with) share their base map and hold the entries the patch
// changed in an overlay of their own: a route change costs the entries it
// changes, not a copy of every route's (10,000 at 10,000 routes). An
// overlay of more than maxOverlay entries is merged into a new base.
type routeInputs struct {
	base map[string]routeInput
	// over are the entries that differ from base's: changed, added, or
	// removed (n == 0).
	over map[string]routeInput
	size int
}

// maxOverlay is the size from which an overlay is merged into a new base.
const maxOverlay = 256

// newRouteInputs returns the inputs of m, which is never modified
// afterwards.
func newRouteInputs(m map[string]routeInput) *routeInputs {
	return &routeInputs{base: m, size: len(m)}
}

// get returns the entry of key.
func (r *routeInputs) get(key string) (routeInput, bool) {
	if e, ok := r.over[key]; ok {
		return e, e.n > 0
	}
	e, ok := r.base[key]
	return e, ok
}

// len is the number of entries.
func (r *routeInputs) len() int { return r.size }

// all yields every entry, in no particular order.
func (r *routeInputs) all(yield func(string, routeInput) bool) {
	for k, e := range r.over {
		if e.n > 0 && !yield(k, e) {
			return
		}
	}
	for k, e := range r.base {
		if _, changed := r.over[k]; !changed && !yield(k, e) {
			return
		}
	}
}

// with returns r with the entries of changes (by key; an entry of n 0
// removes the key).
func (r *routeInputs) with(changes map[string]routeInput) *routeInputs {
	over := make(map[string]routeInput, len(r.over)+len(changes))
	maps.Copy(over, r.over)
	size := r.size
	for k, e := range changes {
		_, had := r.get(k)
		switch {
		case had && e.n == 0:
			size--
		case !had && e.n > 0:
			size++
		}
		if _, inBase := r.base[k]; !inBase && e.n == 0 {
			delete(over, k)
			continue
		}
		over[k] = e
	}
	if len(over) <= maxOverlay {
		return &routeInputs{base: r.base, over: over, size: size}
	}
	base := maps.Clone(r.base)
	for k, e := range over {
		if e.n == 0 {
			delete(base, k)
		} else {
			base[k] = e
		}
	}
	return newRouteInputs(base)
}

// sameGenerations reports whether r and other have the same keys with the
// same generations (the counts of IR routes may differ).
func (r *routeInputs) sameGenerations(other *routeInputs) bool {
	if r.size != other.size {
		return false
	}
	if identity.Map(r.base, other.base) && identity.Map(r.over, other.over) {
		return true
	}
	same := true
	r.all(func(k string, e routeInput) bool {
		o, ok := other.get(k)
		same = ok && o.gen == e.gen
		return same
	})
	return same
}
