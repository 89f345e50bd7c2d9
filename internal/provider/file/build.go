package file

import (
	"cmp"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// namespaceGVK is the kind of Namespace objects.
var namespaceGVK = corev1.SchemeGroupVersion.WithKind("Namespace")

// Build assembles a Resources snapshot from the files' objects, in file
// order. An object defined twice is an error; the first definition wins.
// Namespaces that objects live in but no file declares exist implicitly, as
// on a cluster where someone created them, with the kubernetes.io/metadata.name
// label. infra is copied into the snapshot as is.
func Build(files []*Parsed, infra map[string]bus.InfraState) (*gatewayapi.Resources, []Problem) {
	res := &gatewayapi.Resources{InfraStates: infra}
	seen := map[objectKey]Source{}
	var problems []Problem
	for _, f := range files {
		for _, o := range f.Objects {
			k := keyOf(o)
			if first, dup := seen[k]; dup {
				problems = append(problems, duplicate(o, first))
				continue
			}
			seen[k] = o.Source
			o.kind.add(res, o.Object)
		}
	}
	res.Namespaces = append(res.Namespaces, implicitNamespaces(seen)...)
	return res, problems
}

func duplicate(o Object, first Source) Problem {
	return Problem{
		Source: o.Source, Kind: o.GVK().Kind, Namespace: o.Object.GetNamespace(), Name: o.Object.GetName(),
		Message: fmt.Sprintf("already defined in %s document %d (the first definition is used)", first.File, first.Document),
	}
}

// implicitNamespaces returns a Namespace for every namespace used by an
// object but not declared, sorted by name.
func implicitNamespaces(seen map[objectKey]Source) []*corev1.Namespace {
	used := map[string]bool{}
	for k := range seen {
		if k.Namespace != "" {
			used[k.Namespace] = true
		}
	}
	for k := range seen {
		if k.Kind == namespaceGVK.Kind {
			delete(used, k.Name)
		}
	}
	out := make([]*corev1.Namespace, 0, len(used))
	for name := range used {
		out = append(out, ImplicitNamespace(name))
	}
	slices.SortFunc(out, func(a, b *corev1.Namespace) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// ImplicitNamespace is the Namespace assumed for a namespace no file declares.
func ImplicitNamespace(name string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   name,
			Labels: map[string]string{corev1.LabelMetadataName: name},
		},
	}
}
