package controllers

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// refGate decides which events of the referenced kinds (Services and their
// EndpointSlices, Secrets, ConfigMaps, RateLimitFilters) reach the queue:
// those of objects the last snapshot referred to.
//
// A snapshot build reads the referenced objects from the informer cache
// and only then learns its new references. An object that appears in the
// cache after the build read it, and whose event is judged against the
// previous references before the new ones are stored, would be lost: the
// snapshot says it is missing and no event follows (a route that became
// Accepted with BackendNotFound for a Service that exists). So events
// judged during a build are remembered, and finishBuild tells the caller
// when one of them turned out to be referenced: the caller builds again.
type refGate struct {
	mu       sync.Mutex
	refs     *references
	building bool
	// missed are the events turned away during the current build.
	missed []missedRef
}

// missedRef is an event the gate turned away: the object's kind and the
// key it is referenced by.
type missedRef struct {
	obj client.Object
	key types.NamespacedName
}

func newRefGate() *refGate {
	return &refGate{refs: newReferences()}
}

// pass reports whether the event of o (referenced by key) concerns the last
// snapshot's references; during a build it remembers the events it turns
// away.
func (g *refGate) pass(o client.Object, key types.NamespacedName) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refs.of(o).Has(key) {
		return true
	}
	if g.building {
		g.missed = append(g.missed, missedRef{obj: o, key: key})
	}
	return false
}

// startBuild marks the start of a snapshot build, before it reads anything.
func (g *refGate) startBuild() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.building, g.missed = true, nil
}

// finishBuild ends a build. With refs (a successful build) they become the
// references events are judged by, and it reports whether an event turned
// away during the build concerns them: the build may have read that object
// before it reached the cache, so the caller must build again. Without refs
// (a failed build) the previous references stay.
func (g *refGate) finishBuild(refs *references) (rebuild bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if refs != nil {
		g.refs = refs
		for _, m := range g.missed {
			if refs.of(m.obj).Has(m.key) {
				rebuild = true
				break
			}
		}
	}
	g.building, g.missed = false, nil
	return rebuild
}

// current returns the references events are judged by.
func (g *refGate) current() *references {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refs
}

// of returns the set of references of o's kind: EndpointSlices are judged
// by their Service's key.
func (r *references) of(o client.Object) sets.Set[types.NamespacedName] {
	switch o.(type) {
	case *corev1.Secret:
		return r.secrets
	case *corev1.ConfigMap:
		return r.configMaps
	case *egv1a1.RateLimitFilter:
		return r.rateLimitFilters
	default:
		return r.services
	}
}
