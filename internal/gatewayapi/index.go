package gatewayapi

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// namespaceNameLabel is the label Kubernetes puts on every Namespace with its name.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// index holds every lookup the translator needs, keyed so that no reference
// is ever resolved by scanning a list. Object keys are assumed unique; when
// the input holds duplicates, the first one wins.
//
// An index built with the previous call's index (a Translator's) takes
// over each of its maps whose objects are the same as then (the same
// pointers, in order: providers keep unchanged objects), so a snapshot where
// one route changed does not index 20,000 Services again; gens then says
// which lookups may answer differently from the previous call.
type index struct {
	namespaces   map[string]*corev1.Namespace
	services     map[types.NamespacedName]*corev1.Service
	secrets      map[types.NamespacedName]*corev1.Secret
	configMaps   map[types.NamespacedName]*corev1.ConfigMap
	envoyProxies map[types.NamespacedName]*egv1a1.EnvoyProxy
	grants       map[grantKey]*grantTargets
	// nsLabels are the labels of each namespace, filled in as asked for
	// (namespaceLabels), kept with namespaces.
	nsLabels map[string]labels.Set

	// rateLimitFilters are the RateLimitFilters by namespace and name.
	rateLimitFilters map[types.NamespacedName]*egv1a1.RateLimitFilter

	// in is the input the maps were built from, to compare with the next.
	in *Resources
	// gens identifies the maps a route's build reads (see reads): equal
	// gens mean the same maps, so every read gets the same answer.
	gens readGens
}

// readGens numbers the builds of the maps a route's build reads from.
type readGens struct {
	services, grants, filters uint64
}

// grantKey is one (from, to) pair a ReferenceGrant can allow. Names are not
// part of the key: grantTargets lists them.
type grantKey struct {
	fromNamespace, fromGroup, fromKind string
	toNamespace, toGroup, toKind       string
}

// grantTargets are the names a grantKey allows; all means every name.
type grantTargets struct {
	all   bool
	names map[string]bool
}

// objectRef names one end of a cross-namespace reference.
type objectRef struct {
	group, kind, namespace, name string
}

func newIndex(res *Resources) *index {
	var gen uint64
	return newIndexFrom(res, nil, &gen)
}

// newIndexFrom builds the index of res, taking over the maps of prev (nil:
// none) built from the same objects. gen counts the map builds: a new map
// gets a new gen.
func newIndexFrom(res *Resources, prev *index, gen *uint64) *index {
	old := prev
	if old == nil {
		old = &index{in: &Resources{}}
	}
	// newGen numbers a map built now; a kept map keeps its number.
	newGen := func(kept bool, was uint64) uint64 {
		if kept {
			return was
		}
		*gen++
		return *gen
	}
	ix := &index{in: res}
	var kept bool
	ix.services, kept = reindex(prev != nil, old.in.Services, old.services, res.Services)
	ix.gens.services = newGen(kept, old.gens.services)
	ix.rateLimitFilters, kept = reindex(prev != nil, old.in.RateLimitFilters, old.rateLimitFilters, res.RateLimitFilters)
	ix.gens.filters = newGen(kept, old.gens.filters)
	ix.secrets, _ = reindex(prev != nil, old.in.Secrets, old.secrets, res.Secrets)
	ix.configMaps, _ = reindex(prev != nil, old.in.ConfigMaps, old.configMaps, res.ConfigMaps)
	ix.envoyProxies, _ = reindex(prev != nil, old.in.EnvoyProxies, old.envoyProxies, res.EnvoyProxies)
	if prev != nil && slices.Equal(old.in.Namespaces, res.Namespaces) {
		ix.namespaces, ix.nsLabels = old.namespaces, old.nsLabels
	} else {
		ix.namespaces = make(map[string]*corev1.Namespace, len(res.Namespaces))
		ix.nsLabels = make(map[string]labels.Set)
		for _, ns := range res.Namespaces {
			if ns != nil && ix.namespaces[ns.Name] == nil {
				ix.namespaces[ns.Name] = ns
			}
		}
	}
	kept = prev != nil && slices.Equal(old.in.ReferenceGrants, res.ReferenceGrants)
	ix.gens.grants = newGen(kept, old.gens.grants)
	if kept {
		ix.grants = old.grants
		return ix
	}
	ix.grants = make(map[grantKey]*grantTargets)
	for _, g := range res.ReferenceGrants {
		if g != nil {
			ix.addGrant(g)
		}
	}
	return ix
}

// reindex returns prevMap, the map of prevObjs, when there is a previous
// index (havePrev) and objs are the same objects, in order; otherwise the
// map of objs. It reports whether it kept prevMap.
func reindex[P namespacedObject](havePrev bool, prevObjs []P, prevMap map[types.NamespacedName]P, objs []P) (map[types.NamespacedName]P, bool) {
	if havePrev && slices.Equal(prevObjs, objs) {
		return prevMap, true
	}
	return indexByKey(objs), false
}

// namespacedObject is a pointer to a namespaced object.
type namespacedObject interface {
	comparable
	GetNamespace() string
	GetName() string
}

// indexByKey maps each non-nil object to its namespace and name; of
// duplicates, the first one wins.
func indexByKey[P namespacedObject](objs []P) map[types.NamespacedName]P {
	var none P
	m := make(map[types.NamespacedName]P, len(objs))
	for _, o := range objs {
		if o == none {
			continue
		}
		k := keyOf(o.GetNamespace(), o.GetName())
		if _, ok := m[k]; !ok {
			m[k] = o
		}
	}
	return m
}

func keyOf(namespace, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: namespace, Name: name}
}

func (ix *index) addGrant(g *gwapiv1.ReferenceGrant) {
	for _, from := range g.Spec.From {
		for _, to := range g.Spec.To {
			k := grantKey{
				fromNamespace: string(from.Namespace), fromGroup: string(from.Group), fromKind: string(from.Kind),
				toNamespace: g.Namespace, toGroup: string(to.Group), toKind: string(to.Kind),
			}
			t := ix.grants[k]
			if t == nil {
				t = &grantTargets{names: map[string]bool{}}
				ix.grants[k] = t
			}
			if to.Name == nil || *to.Name == "" {
				t.all = true
			} else {
				t.names[string(*to.Name)] = true
			}
		}
	}
}

// refAllowed reports whether from may refer to to: always within a namespace,
// across namespaces only with a ReferenceGrant in to's namespace.
func (ix *index) refAllowed(from, to objectRef) bool {
	if from.namespace == to.namespace {
		return true
	}
	t := ix.grants[grantKey{
		fromNamespace: from.namespace, fromGroup: from.group, fromKind: from.kind,
		toNamespace: to.namespace, toGroup: to.group, toKind: to.kind,
	}]
	return t != nil && (t.all || t.names[to.name])
}

// namespaceLabels returns the labels of a namespace. A namespace missing from
// the snapshot still carries its kubernetes.io/metadata.name label.
func (ix *index) namespaceLabels(name string) labels.Set {
	if set, ok := ix.nsLabels[name]; ok {
		return set
	}
	set := labels.Set{}
	if ns := ix.namespaces[name]; ns != nil {
		maps.Copy(set, ns.Labels)
	}
	set[namespaceNameLabel] = name
	ix.nsLabels[name] = set
	return set
}
