package controllers

import (
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// stableObjects gives the objects of a new snapshot the pointers they had
// in the previous one when they did not change (the same UID and
// resourceVersion: the API server changes the resourceVersion on every
// write; for the Gateway API kinds with a status, the same generation and
// metadata, see sameSpec). The informer cache returns a new copy of every object on every
// read, and the resource translator memoizes its work per object pointer
// (an HTTPRoute's model, the Services it reads): without this, every
// snapshot would look entirely new to it. Only the snapshot worker uses it.
type stableObjects struct {
	// kinds are the objects of each kind (see stableKind), by kind.
	kinds map[string]*stableKind
}

// stableKind holds the objects of one kind of the snapshots.
type stableKind struct {
	// objects are the kind's objects by UID, each with the last build of
	// the kind (gen) that had it; updated in place, so that a snapshot of
	// 50,000 objects does not build a map of 50,000 again.
	objects map[types.UID]*stableObject
	// bySource are the same objects by the object they were last given as
	// (src): routes come from the informer stores and Services from
	// keptServices, both of which replace an object on a change and never
	// modify one, so the same pointer given again is the same object, and
	// its entry is found without hashing its UID or comparing it. With the
	// List fallback (listShared) the sources are list items, never given
	// again: they pin the last build's lists until the next build.
	bySource map[client.Object]*stableObject
	// gen counts the builds of the kind.
	gen uint64
	// given and kept are the objects ([]T) the last build was given and
	// gave: given the same objects in the same order (a route change's
	// Services), a build gives the same ones without a lookup.
	given, kept any
}

// stableObject is an object of a snapshot, the object it was last given
// as, the last snapshot that had it, and its index in its kind's list of
// that snapshot (see keepStable).
type stableObject struct {
	obj, src client.Object
	gen      uint64
	rank     int
}

// apply replaces, in res, the objects that did not change since the
// previous snapshot with their previous pointers, and remembers res's.
// httpRoutesKept says res's HTTPRoutes come from httpRouteSet, the
// informer store's objects, which the resource translator takes over on
// a status write (GenerationTracksSpec): they are left as they are.
func (s *stableObjects) apply(res *gatewayapi.Resources, httpRoutesKept bool) {
	if s.kinds == nil {
		s.kinds = map[string]*stableKind{}
	}
	keepStable(s.kind("GatewayClass"), res.GatewayClasses, sameSpec, copyNew)
	keepStable(s.kind("Gateway"), res.Gateways, sameSpec, copyNew)
	keepStable(s.kind("ListenerSet"), res.ListenerSets, sameSpec, copyNew)
	if httpRoutesKept {
		delete(s.kinds, "HTTPRoute")
	} else {
		keepStable(s.kind("HTTPRoute"), res.HTTPRoutes, sameSpec, copyNew)
	}
	keepStable(s.kind("GRPCRoute"), res.GRPCRoutes, sameSpec, copyNew)
	keepStable(s.kind("TLSRoute"), res.TLSRoutes, sameSpec, copyNew)
	keepStable(s.kind("TCPRoute"), res.TCPRoutes, sameSpec, copyNew)
	keepStable(s.kind("ReferenceGrant"), res.ReferenceGrants, sameVersion, copyNew)
	keepStable(s.kind("Namespace"), res.Namespaces, sameVersion, copyNew)
	keepStable(s.kind("Service"), res.Services, sameVersion, keepGiven)
	keepStable(s.kind("Secret"), res.Secrets, sameVersion, copyNew)
	keepStable(s.kind("ConfigMap"), res.ConfigMaps, sameVersion, copyNew)
	keepStable(s.kind("BackendTLSPolicy"), res.BackendTLSPolicies, sameSpec, copyNew)
	keepStable(s.kind("EnvoyProxy"), res.EnvoyProxies, sameVersion, copyNew)
	keepStable(s.kind("RateLimitFilter"), res.RateLimitFilters, sameVersion, copyNew)
}

// kind returns the objects of kind, made empty the first time.
func (s *stableObjects) kind(kind string) *stableKind {
	k := s.kinds[kind]
	if k == nil {
		k = &stableKind{objects: map[types.UID]*stableObject{}, bySource: map[client.Object]*stableObject{}}
		s.kinds[kind] = k
	}
	return k
}

// newObjects says what keepStable does with an object it does not hold.
type newObjects bool

const (
	// copyNew: a deep copy is kept. The objects given may point into a
	// list's items, or share their fields with the informer cache (lists
	// read without copies): a kept object must pin neither a whole list
	// from snapshot to snapshot nor the cache's objects.
	copyNew newObjects = true
	// keepGiven: the object given is kept, the caller's to give: a copy
	// of its own or an informer store's object (see storeOf), as
	// keptServices gives.
	keepGiven newObjects = false
)

// keepStable replaces the objects of objs that s holds with the same UID,
// when same accepts them, by s's, and the others by deep copies of their
// own or themselves (see newObjects), and records them all in s (those
// with a UID and resourceVersion).
//
// objs is then put in a stable order: the objects of the last snapshot in
// its order, then the new ones, then those without a UID (see ordered).
// The informer stores list their objects in a random order, and the
// resource translator patches its last model only when the other kinds
// are the same objects in the same order and a changed route is at the
// place of its previous object.
func keepStable[T client.Object](s *stableKind, objs []T, same func(kept, o client.Object) bool, fresh newObjects) {
	if given, ok := s.given.([]T); ok && sameObjects(given, objs) {
		copy(objs, s.kept.([]T))
		return
	}
	s.gen++
	given := slices.Clone(objs)
	entries := make([]*stableObject, len(objs))
	lastRanks := make([]int, len(objs))
	for i, o := range objs {
		lastRanks[i] = -1
		if kept := s.bySource[o]; kept != nil {
			if p, ok := kept.obj.(T); ok {
				if kept.gen == s.gen-1 {
					lastRanks[i] = kept.rank
				}
				objs[i], kept.gen, entries[i] = p, s.gen, kept
				continue
			}
		}
		uid, rv := o.GetUID(), o.GetResourceVersion()
		kept := s.objects[uid]
		var p T
		ok := false
		if kept != nil {
			p, ok = kept.obj.(T)
		}
		switch {
		case ok && uid != "" && rv != "" && same(p, o):
			objs[i] = p
		case fresh == copyNew:
			objs[i] = o.DeepCopyObject().(T)
		}
		if uid == "" || rv == "" {
			continue
		}
		if kept == nil {
			kept = &stableObject{}
			s.objects[uid] = kept
		} else if kept.gen == s.gen-1 {
			lastRanks[i] = kept.rank
		}
		if kept.src != nil {
			delete(s.bySource, kept.src)
		}
		kept.obj, kept.src, kept.gen = objs[i], o, s.gen
		s.bySource[o] = kept
		entries[i] = kept
	}
	placeStable(objs, entries, lastRanks)
	for uid, o := range s.objects {
		if o.gen != s.gen {
			delete(s.objects, uid)
			delete(s.bySource, o.src)
		}
	}
	s.given, s.kept = given, slices.Clone(objs)
}

// sameObjects reports whether a and b hold the same objects (pointers) in
// the same order.
func sameObjects[T client.Object](a, b []T) bool {
	return slices.EqualFunc(a, b, func(x, y T) bool { return client.Object(x) == client.Object(y) })
}

// placeStable puts objs in their stable order (see ordered) and records
// each entry's place.
func placeStable[T client.Object](objs []T, entries []*stableObject, lastRanks []int) {
	if inStableOrder(entries, lastRanks) {
		for i, e := range entries {
			if e != nil {
				e.rank = i
			}
		}
		return
	}
	order := ordered(entries, lastRanks)
	sorted := make([]T, len(objs))
	for to, from := range order {
		sorted[to] = objs[from]
		if e := entries[from]; e != nil {
			e.rank = to
		}
	}
	copy(objs, sorted)
}

// inStableOrder reports whether the objects are already in the order
// ordered gives (as the Services keptServices gives in key order are).
func inStableOrder(entries []*stableObject, lastRanks []int) bool {
	const ranked, fresh, anonymous = 0, 1, 2
	stage, prev := ranked, -1
	for i, r := range lastRanks {
		switch {
		case r >= 0 && stage == ranked && r > prev:
			prev = r
		case r < 0 && entries[i] != nil && stage <= fresh:
			stage = fresh
		case entries[i] == nil:
			stage = anonymous
		default:
			return false
		}
	}
	return true
}

// ordered returns the indexes of a kind's objects in their stable order:
// first those that were in the last snapshot (lastRanks[i] is their index
// there, -1 for the others), in the order of that snapshot; then those
// with an entry (entries[i]) that were not, in the order given; then those
// without an entry (no UID), in the order given. The last snapshot was in
// this order too, so an object keeps its place from snapshot to snapshot
// but for the objects gone before it. No comparison: the ranks place them.
func ordered(entries []*stableObject, lastRanks []int) []int {
	maxRank := -1
	for _, r := range lastRanks {
		maxRank = max(maxRank, r)
	}
	slots := make([]int, maxRank+1)
	for i := range slots {
		slots[i] = -1
	}
	var fresh, anonymous []int
	for i, r := range lastRanks {
		switch {
		case r >= 0 && slots[r] < 0:
			slots[r] = i
		case entries[i] != nil: // new, or a rank taken twice (never so)
			fresh = append(fresh, i)
		default:
			anonymous = append(anonymous, i)
		}
	}
	out := make([]int, 0, len(lastRanks))
	for _, i := range slots {
		if i >= 0 {
			out = append(out, i)
		}
	}
	return append(append(out, fresh...), anonymous...)
}

// sameVersion reports whether o is the kept object as it was: the same
// resourceVersion.
func sameVersion(kept, o client.Object) bool {
	return kept.GetResourceVersion() == o.GetResourceVersion()
}

// sameSpec reports whether o is kept as far as translation goes, for the
// Gateway API kinds with a status subresource: the same resourceVersion,
// or the same generation (the API server bumps it on every change of the
// spec, not on a status write), labels, annotations and deletion. The
// resource translator reads no status, so a status write (the status
// writer writes the status of every route after the first result) does not
// make the object new to its memo: without this, the next snapshot after
// such a round built every route again.
func sameSpec(kept, o client.Object) bool {
	if sameVersion(kept, o) {
		return true
	}
	return o.GetGeneration() != 0 && kept.GetGeneration() == o.GetGeneration() &&
		maps.Equal(kept.GetLabels(), o.GetLabels()) && maps.Equal(kept.GetAnnotations(), o.GetAnnotations()) &&
		(kept.GetDeletionTimestamp() == nil) == (o.GetDeletionTimestamp() == nil)
}
