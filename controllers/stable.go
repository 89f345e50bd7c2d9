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
	prev map[types.UID]client.Object
}

// apply replaces, in res, the objects that did not change since the
// previous snapshot with their previous pointers, and remembers res's.
func (s *stableObjects) apply(res *gatewayapi.Resources) {
	next := make(map[types.UID]client.Object, len(s.prev))
	keepStable(s.prev, next, res.GatewayClasses)
	keepStable(s.prev, next, res.Gateways)
	keepStable(s.prev, next, res.ListenerSets)
	keepStable(s.prev, next, res.HTTPRoutes)
	keepStable(s.prev, next, res.GRPCRoutes)
	keepStable(s.prev, next, res.TLSRoutes)
	keepStable(s.prev, next, res.TCPRoutes)
	keepStable(s.prev, next, res.ReferenceGrants)
	keepStable(s.prev, next, res.Namespaces)
	keepStable(s.prev, next, res.Services)
	keepStable(s.prev, next, res.Secrets)
	keepStable(s.prev, next, res.ConfigMaps)
	keepStable(s.prev, next, res.BackendTLSPolicies)
	keepStable(s.prev, next, res.EnvoyProxies)
	keepStable(s.prev, next, res.RateLimitFilters)
	s.prev = next
}

// keepStable replaces the objects of objs that prev holds with the same
// UID and resourceVersion by prev's, and the others by deep copies of
// their own, and records them all in next (those with a UID and
// resourceVersion). The objects given may point into a list's items, or
// share their fields with the informer cache (lists read without copies):
// a kept object must pin neither a whole list from snapshot to snapshot
// nor the cache's objects.
func keepStable[T client.Object](prev, next map[types.UID]client.Object, objs []T) {
	for i, o := range objs {
		uid, rv := o.GetUID(), o.GetResourceVersion()
		if p, ok := prev[uid].(T); ok && uid != "" && rv != "" && p.GetResourceVersion() == rv {
			objs[i] = p
		} else {
			objs[i] = o.DeepCopyObject().(T)
		}
		if uid != "" && rv != "" {
			next[uid] = objs[i]
		}
	}
}
