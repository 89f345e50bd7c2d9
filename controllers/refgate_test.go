package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestRefGate(t *testing.T) {
	backend := types.NamespacedName{Namespace: "infra", Name: "backend"}
	other := types.NamespacedName{Namespace: "infra", Name: "other"}
	refsWith := func(svc types.NamespacedName) *references {
		r := newReferences()
		r.services.Insert(svc)
		return r
	}
	service := &corev1.Service{}
	secret := &corev1.Secret{}

	tests := []struct {
		name string
		// run drives the gate and returns what pass answered for the event
		// under test and what the last finishBuild answered.
		run                   func(g *refGate) (passed, rebuild bool)
		wantPass, wantRebuild bool
	}{{
		name: "a referenced Service passes",
		run: func(g *refGate) (bool, bool) {
			g.finishBuild(refsWith(backend))
			return g.pass(service, backend), false
		},
		wantPass: true,
	}, {
		name: "an unreferenced Service outside a build is turned away and forgotten",
		run: func(g *refGate) (bool, bool) {
			passed := g.pass(service, backend)
			g.startBuild()
			return passed, g.finishBuild(refsWith(backend))
		},
	}, {
		name: "a Service turned away during the build that comes to refer to it asks for a rebuild",
		run: func(g *refGate) (bool, bool) {
			g.startBuild()
			passed := g.pass(service, backend)
			return passed, g.finishBuild(refsWith(backend))
		},
		wantRebuild: true,
	}, {
		name: "a Service turned away during a build that does not refer to it asks for nothing",
		run: func(g *refGate) (bool, bool) {
			g.startBuild()
			passed := g.pass(service, other)
			return passed, g.finishBuild(refsWith(backend))
		},
	}, {
		name: "a Secret of the same key as a referenced Service is judged by the Secrets",
		run: func(g *refGate) (bool, bool) {
			g.startBuild()
			passed := g.pass(secret, backend)
			return passed, g.finishBuild(refsWith(backend))
		},
	}, {
		name: "a failed build keeps the previous references and asks for nothing",
		run: func(g *refGate) (bool, bool) {
			g.finishBuild(refsWith(other))
			g.startBuild()
			g.pass(service, backend)
			rebuild := g.finishBuild(nil)
			return g.pass(service, other), rebuild
		},
		wantPass: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			passed, rebuild := tt.run(newRefGate())
			if passed != tt.wantPass || rebuild != tt.wantRebuild {
				t.Errorf("pass = %v, rebuild = %v; want %v, %v", passed, rebuild, tt.wantPass, tt.wantRebuild)
			}
		})
	}
}

// TestReferencesOf checks that each watched kind is judged by its own set.
func TestReferencesOf(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "n"}
	r := newReferences()
	r.configMaps.Insert(key)
	for obj, want := range map[client.Object]bool{
		&corev1.ConfigMap{}: true,
		&corev1.Secret{}:    false,
		&corev1.Service{}:   false,
	} {
		if got := r.of(obj).Has(key); got != want {
			t.Errorf("%T: Has = %v, want %v", obj, got, want)
		}
	}
}
