package controllers

import (
	"maps"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/identity"
)

func parentsOf(gateways ...string) ourParents {
	ours := ourParents{gateways: sets.New[types.NamespacedName](), listenerSets: sets.New[types.NamespacedName]()}
	for _, g := range gateways {
		ours.gateways.Insert(types.NamespacedName{Namespace: "ns", Name: g})
	}
	return ours
}

// memoBuild is one build's use of a route memo (nil: none): the routes
// attached (all but those named "detached") and the Services they refer
// to (their own and a shared one), with the number of attachment
// computations and collections made.
type memoBuild struct {
	computed, collected int
}

func (b *memoBuild) run(m *routeMemo, ours ourParents, routes ...*gwapiv1.HTTPRoute) sets.Set[types.NamespacedName] {
	refs := newReferences()
	m.begin(ours)
	for _, r := range routes {
		attached := m.attached(r, func() bool { b.computed++; return r.Name != "detached" })
		if !attached {
			continue
		}
		m.collect(r, refs, func(s, _ sets.Set[types.NamespacedName]) {
			b.collected++
			s.Insert(types.NamespacedName{Namespace: "ns", Name: "svc-of-" + r.Name}, types.NamespacedName{Namespace: "ns", Name: "shared"})
		})
	}
	m.settle(refs)
	return refs.services
}

// TestRouteMemoAnswersOncePerObject: with a memo, every build refers to
// the Services a build without one finds; a route object's attachment is
// computed once while our parents stay the same, and again when they
// change; its references are collected once; a route the build did not
// see, or that is no longer attached, no longer counts, and one another
// route also refers to stays.
func TestRouteMemoAnswersOncePerObject(t *testing.T) {
	var m routeMemo
	var memo memoBuild
	// Every set handed out, with its keys then: the memo never modifies
	// one afterwards (builds share it while the keys stay the same).
	type handedSet struct {
		set, keys sets.Set[types.NamespacedName]
	}
	var handed []handedSet
	var last sets.Set[types.NamespacedName]
	check := func(step string, ours ourParents, routes ...*gwapiv1.HTTPRoute) {
		t.Helper()
		got := memo.run(&m, ours, routes...)
		var fresh memoBuild
		if want := fresh.run(nil, ours, routes...); !maps.Equal(got, want) {
			t.Errorf("%s: services %v, want %v", step, got.UnsortedList(), want.UnsortedList())
		}
		if last != nil && maps.Equal(last, got) != identity.Map(last, got) {
			t.Errorf("%s: the same keys in a new set, or other keys in the same set", step)
		}
		for _, h := range handed {
			if !maps.Equal(h.set, h.keys) {
				t.Fatalf("%s: a set handed out earlier was modified", step)
			}
		}
		handed, last = append(handed, handedSet{set: got, keys: maps.Clone(got)}), got
	}
	a, b, detached := namedRoute("ns", "a"), namedRoute("ns", "b"), namedRoute("ns", "detached")
	check("first build", parentsOf("gw"), a, b, detached)
	if memo.computed != 3 || memo.collected != 2 {
		t.Fatalf("first build: computed %d, collected %d, want 3 and 2", memo.computed, memo.collected)
	}
	check("same objects", parentsOf("gw"), a, b, detached)
	if memo.computed != 3 || memo.collected != 2 {
		t.Errorf("same objects, same parents: computed %d, collected %d, want 3 and 2", memo.computed, memo.collected)
	}
	check("other parents", parentsOf("gw", "other"), a, b, detached)
	if memo.computed != 6 || memo.collected != 2 {
		t.Errorf("other parents: computed %d (want 6), collected %d (want 2)", memo.computed, memo.collected)
	}
	b2 := namedRoute("ns", "b") // b updated: a new object
	check("updated route", parentsOf("gw", "other"), a, b2)
	if memo.collected != 3 {
		t.Errorf("an updated route was collected %d times in all, want 3", memo.collected)
	}
	if _, kept := m.routes[b]; kept {
		t.Error("a route object the build did not see is still remembered")
	}
	check("route gone", parentsOf("gw", "other"), a)
	check("all gone", parentsOf("gw", "other"))
	check("back", parentsOf("gw"), a, b2)
}
