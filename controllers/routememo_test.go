package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func parentsOf(gateways ...string) ourParents {
	ours := ourParents{gateways: sets.New[types.NamespacedName](), listenerSets: sets.New[types.NamespacedName]()}
	for _, g := range gateways {
		ours.gateways.Insert(types.NamespacedName{Namespace: "ns", Name: g})
	}
	return ours
}

// TestRouteMemoAnswersOncePerObject: a route object's attachment is
// computed once while our parents stay the same, and again when they
// change; its references are collected once and added on every build; a
// route a build did not see is forgotten.
func TestRouteMemoAnswersOncePerObject(t *testing.T) {
	var m routeMemo
	a, b := namedRoute("ns", "a"), namedRoute("ns", "b")
	svc := types.NamespacedName{Namespace: "ns", Name: "svc"}
	computed, collected := 0, 0
	build := func(ours ourParents, routes ...*gwapiv1.HTTPRoute) sets.Set[types.NamespacedName] {
		services, filters := sets.New[types.NamespacedName](), sets.New[types.NamespacedName]()
		m.begin(ours)
		defer m.end()
		for _, r := range routes {
			if m.attached(r, func() bool { computed++; return true }) {
				m.collect(r, services, filters, func(s, _ sets.Set[types.NamespacedName]) { collected++; s.Insert(svc) })
			}
		}
		return services
	}
	if got := build(parentsOf("gw"), a, b); !got.Has(svc) || computed != 2 || collected != 2 {
		t.Fatalf("first build: services %v, computed %d, collected %d", got, computed, collected)
	}
	if got := build(parentsOf("gw"), a, b); !got.Has(svc) || computed != 2 || collected != 2 {
		t.Errorf("same objects, same parents: services %v, computed %d, collected %d (want 2, 2)", got, computed, collected)
	}
	build(parentsOf("gw", "other"), a, b)
	if computed != 4 || collected != 2 {
		t.Errorf("other parents: computed %d (want 4), collected %d (want 2)", computed, collected)
	}
	build(parentsOf("gw", "other"), a)
	if _, kept := m.routes[b]; kept {
		t.Error("a route the build did not see is still remembered")
	}
	var nilMemo *routeMemo
	nilMemo.begin(parentsOf("gw"))
	if !nilMemo.attached(a, func() bool { return true }) {
		t.Error("a nil memo does not compute")
	}
	nilMemo.end()
}
