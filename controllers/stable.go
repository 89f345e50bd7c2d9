package controllers

import (
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// stableObjects gives the objects of a new snapshot the pointers they had
// in the previous one when they did not change (the same UID and
// resourceVersion: the API server changes the resourceVersion on every
// write). The informer cache returns a new copy of every object on every
// read, and the resource translator memoizes its work per object pointer
// (an HTTPRoute's model, the Services it reads): without this, every
// snapshot would look entirely new to it. Only the snapshot worker uses it.
type stableObjects struct {
	// objects are the objects of the snapshots by UID, each with the last
	// snapshot (gen) that had it; updated in place, so that a snapshot of
	// 50,000 objects does not build a map of 50,000 again.
	objects map[types.UID]*stableObject
	gen     uint64
}

// stableObject is an object of a snapshot and the last snapshot that had it.
type stableObject struct {
	obj client.Object
	gen uint64
}

// apply replaces, in res, the objects that did not change since the
// previous snapshot with their previous pointers, and remembers res's.
func (s *stableObjects) apply(res *gatewayapi.Resources) {
	if s.objects == nil {
		s.objects = map[types.UID]*stableObject{}
	}
	s.gen++
	keepStable(s, res.GatewayClasses)
	keepStable(s, res.Gateways)
	keepStable(s, res.ListenerSets)
	keepStable(s, res.HTTPRoutes)
	keepStable(s, res.GRPCRoutes)
	keepStable(s, res.TLSRoutes)
	keepStable(s, res.TCPRoutes)
	keepStable(s, res.ReferenceGrants)
	keepStable(s, res.Namespaces)
	keepStable(s, res.Services)
	keepStable(s, res.Secrets)
	keepStable(s, res.ConfigMaps)
	keepStable(s, res.BackendTLSPolicies)
	keepStable(s, res.EnvoyProxies)
	keepStable(s, res.RateLimitFilters)
	for uid, o := range s.objects {
		if o.gen != s.gen {
			delete(s.objects, uid)
		}
	}
}

// keepStable replaces the objects of objs that s holds with the same UID
// and resourceVersion by s's, and the others by deep copies of their own,
// and records them all in s (those with a UID and resourceVersion). The
// objects given may point into a list's items, or share their fields with
// the informer cache (lists read without copies): a kept object must pin
// neither a whole list from snapshot to snapshot nor the cache's objects.
func keepStable[T client.Object](s *stableObjects, objs []T) {
	for i, o := range objs {
		uid, rv := o.GetUID(), o.GetResourceVersion()
		kept := s.objects[uid]
		var p T
		ok := false
		if kept != nil {
			p, ok = kept.obj.(T)
		}
		if ok && uid != "" && rv != "" && p.GetResourceVersion() == rv {
			objs[i] = p
		} else {
			objs[i] = o.DeepCopyObject().(T)
		}
		if uid != "" && rv != "" {
			if kept == nil {
				kept = &stableObject{}
				s.objects[uid] = kept
			}
			kept.obj, kept.gen = objs[i], s.gen
		}
	}
}
