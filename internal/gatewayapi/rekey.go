package gatewayapi

import (
	"maps"
	"slices"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// rekeyRoutes takes over, when res says generations track specs, the
// memo of each HTTPRoute of the last call that res replaces, at the same
// place of a list of the same length, by an object of the same route
// unchanged (sameRouteObject): the Kubernetes provider gives a route's new
// object after every status write. The memo entry then belongs to the new
// object, and its model reads the new object's metadata; nothing of the
// Translator refers to the old object any more (the provider lets it go
// too), and the route is neither built again nor patched. It returns the
// last call's HTTPRoutes with those taken over replaced by their new
// objects (the last call's own list when none is), nil without a last
// call.
func (tr *Translator) rekeyRoutes(res *Resources) []*gwapiv1.HTTPRoute {
	if tr.last == nil {
		return nil
	}
	prev := tr.last.res.HTTPRoutes
	if res == nil || !res.GenerationTracksSpec || len(prev) != len(res.HTTPRoutes) {
		return prev
	}
	out, cloned := prev, false
	for i, obj := range res.HTTPRoutes {
		old := prev[i]
		if old == obj || old == nil || obj == nil || !sameRouteObject(old, obj) {
			continue
		}
		m, ok := tr.http[old]
		if _, taken := tr.http[obj]; !ok || taken {
			continue
		}
		delete(tr.http, old)
		tr.http[obj] = m
		m.built.meta.meta = &obj.ObjectMeta
		if !cloned { // the last call's list is its input's: not to be modified
			out, cloned = slices.Clone(prev), true
		}
		out[i] = obj
	}
	return out
}

// sameRouteObject reports whether b is route a unchanged for the
// translator, given that the generation tracks the spec: the same
// object (UID), generation, name, labels, annotations, creation and
// deletion. Its status and resourceVersion may differ; the translator
// reads neither.
func sameRouteObject(a, b *gwapiv1.HTTPRoute) bool {
	return a.UID != "" && a.UID == b.UID && a.Generation != 0 && a.Generation == b.Generation &&
		a.Namespace == b.Namespace && a.Name == b.Name &&
		a.CreationTimestamp.Equal(&b.CreationTimestamp) &&
		(a.DeletionTimestamp == nil) == (b.DeletionTimestamp == nil) &&
		maps.Equal(a.Labels, b.Labels) && maps.Equal(a.Annotations, b.Annotations)
}
