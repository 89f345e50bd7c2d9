package gatewayapi

import (
	"maps"

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
type index struct {
	namespaces   map[string]*corev1.Namespace
	services     map[types.NamespacedName]*corev1.Service
	secrets      map[types.NamespacedName]*corev1.Secret
	configMaps   map[types.NamespacedName]*corev1.ConfigMap
	envoyProxies map[types.NamespacedName]*egv1a1.EnvoyProxy
	grants       map[grantKey]*grantTargets
	nsLabels     map[string]labels.Set

	// rateLimitFilters are the RateLimitFilters by namespace and name.
	rateLimitFilters map[types.NamespacedName]*egv1a1.RateLimitFilter
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
	ix := &index{
		namespaces:       make(map[string]*corev1.Namespace, len(res.Namespaces)),
		services:         indexByKey(res.Services),
		secrets:          indexByKey(res.Secrets),
		configMaps:       indexByKey(res.ConfigMaps),
		envoyProxies:     indexByKey(res.EnvoyProxies),
		rateLimitFilters: indexByKey(res.RateLimitFilters),
		grants:           make(map[grantKey]*grantTargets),
		nsLabels:         make(map[string]labels.Set),
	}
	for _, ns := range res.Namespaces {
		if ns != nil && ix.namespaces[ns.Name] == nil {
			ix.namespaces[ns.Name] = ns
		}
	}
	for _, g := range res.ReferenceGrants {
		if g != nil {
			ix.addGrant(g)
		}
	}
	return ix
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
