package validation

import (
	"context"
	"slices"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validator validates objects of the kinds it knows. It is safe for
// concurrent use; each kind's schema and CEL programs are compiled once, the
// first time an object of that kind is validated.
type Validator struct {
	kinds map[schema.GroupVersionKind]kindValidator
}

// kindValidator validates one kind in place.
type kindValidator interface {
	namespaced() bool
	validate(ctx context.Context, u *unstructured.Unstructured) field.ErrorList
}

var (
	defaultOnce      sync.Once
	defaultValidator *Validator
	defaultErr       error
)

// Default returns the process-wide Validator over the embedded CRDs and the
// core kinds, built on first use.
func Default() (*Validator, error) {
	defaultOnce.Do(func() { defaultValidator, defaultErr = New() })
	return defaultValidator, defaultErr
}

// New builds a Validator over the embedded CRDs (every served version) and
// the core kinds. Schemas are compiled lazily, per kind.
func New() (*Validator, error) {
	crds, err := loadCRDs()
	if err != nil {
		return nil, err
	}
	v := &Validator{kinds: map[schema.GroupVersionKind]kindValidator{}}
	for _, crd := range crds {
		for i := range crd.Spec.Versions {
			ver := &crd.Spec.Versions[i]
			if !ver.Served || ver.Schema == nil {
				continue
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind}
			v.kinds[gvk] = &crdValidator{
				gvk:     gvk,
				scoped:  crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
				version: ver,
			}
		}
	}
	for gvk, cv := range coreValidators() {
		v.kinds[gvk] = cv
	}
	return v, nil
}

// Known reports whether objects of gvk can be validated.
func (v *Validator) Known(gvk schema.GroupVersionKind) bool {
	_, ok := v.kinds[gvk]
	return ok
}

// Namespaced reports whether gvk is a namespaced kind; false for unknown kinds.
func (v *Validator) Namespaced(gvk schema.GroupVersionKind) bool {
	k, ok := v.kinds[gvk]
	return ok && k.namespaced()
}

// Validate prepares obj as the API server does on create (drops status,
// prunes unknown fields, applies defaults, sets generation 1) and validates
// it. obj is modified in place. Unknown fields are reported as errors, as
// with kubectl's default strict field validation. Namespaced objects must
// already carry their namespace. Numbers must be int64 or float64 as the
// unstructured JSON decoder (k8s.io/apimachinery/pkg/util/json) produces them.
func (v *Validator) Validate(ctx context.Context, obj *unstructured.Unstructured) field.ErrorList {
	gvk := obj.GroupVersionKind()
	k, ok := v.kinds[gvk]
	if !ok {
		return field.ErrorList{field.NotSupported(field.NewPath("kind"), gvk.String(), v.kindNames())}
	}
	return k.validate(ctx, obj)
}

// Kinds returns the kinds of an API group that objects can be validated
// of (in any version), sorted.
func (v *Validator) Kinds(group string) []string {
	var out []string
	for gvk := range v.kinds {
		if gvk.Group == group && !slices.Contains(out, gvk.Kind) {
			out = append(out, gvk.Kind)
		}
	}
	slices.Sort(out)
	return out
}

func (v *Validator) kindNames() []string {
	names := make([]string, 0, len(v.kinds))
	for gvk := range v.kinds {
		names = append(names, gvk.GroupVersion().String()+" "+gvk.Kind)
	}
	slices.Sort(names)
	return names
}
