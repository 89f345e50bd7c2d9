package validation

import (
	"context"
	"fmt"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
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
				gvk:       gvk,
				scoped:    crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
				v1Schema:  ver.Schema,
				hasStatus: ver.Subresources != nil && ver.Subresources.Status != nil,
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

func (v *Validator) kindNames() []string {
	names := make([]string, 0, len(v.kinds))
	for gvk := range v.kinds {
		names = append(names, gvk.GroupVersion().String()+" "+gvk.Kind)
	}
	return names
}

// crdValidator validates the custom resources of one CRD version.
type crdValidator struct {
	gvk       schema.GroupVersionKind
	scoped    bool
	v1Schema  *apiextensionsv1.CustomResourceValidation
	hasStatus bool

	once       sync.Once
	compileErr error
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	openAPI    *openAPICheck
	cel        *celValidator
	// embedded: the schema has x-kubernetes-embedded-resource nodes, the
	// only ones the objectmeta coercion and validation act on below the root.
	embedded bool
	// tree is structural as a pointer tree, for pruning and defaulting.
	tree *schemaTree
}

func (c *crdValidator) namespaced() bool { return c.scoped }

// compile builds the structural schema, the OpenAPI validator and the CEL
// programs, as the API server does when it starts serving a CRD version.
func (c *crdValidator) compile() {
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(c.v1Schema, internal, nil); err != nil {
		c.compileErr = fmt.Errorf("converting the %s schema: %w", c.gvk, err)
		return
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		c.compileErr = fmt.Errorf("structural schema of %s: %w", c.gvk, err)
		return
	}
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		c.compileErr = fmt.Errorf("pruning defaults of %s: %w", c.gvk, err)
		return
	}
	validator, openAPISchema, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		c.compileErr = fmt.Errorf("schema validator of %s: %w", c.gvk, err)
		return
	}
	c.structural = s
	c.schema = validator
	c.openAPI = newOpenAPICheck(openAPISchema)
	c.embedded = hasEmbeddedResource(s)
	c.tree = newSchemaTree(s)
	c.cel = newCELValidator(s, true, celconfig.PerCallLimit)
}

func (c *crdValidator) validate(ctx context.Context, u *unstructured.Unstructured) field.ErrorList {
	c.once.Do(c.compile)
	if c.compileErr != nil {
		return field.ErrorList{field.InternalError(nil, c.compileErr)}
	}
	if errs := c.coerce(u); len(errs) > 0 {
		return errs // strict decoding fails before validation
	}
	if c.hasStatus {
		delete(u.Object, "status") // create cannot set status
	}
	c.tree.defaultValues(u.Object) // structuraldefaulting.Default
	u.SetGeneration(1)
	errs := validateObjectMeta(u, c.scoped, apimachineryvalidation.NameIsDNSSubdomain)
	if !c.openAPI.valid(u.Object) { // kube-openapi only when the quick check is not sure
		errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.Object, c.schema)...)
	}
	if c.embedded {
		errs = append(errs, schemaobjectmeta.Validate(ctx, nil, u.Object, c.structural, false)...)
	}
	if !c.tree.listsValid(u.Object) {
		errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, c.structural, u.Object)...)
	}
	if c.cel == nil {
		return errs
	}
	if blocking(errs) {
		return append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
	}
	var bound uint64
	if jsonSizeAtMost(u.Object, celconfig.MaxRequestSizeBytes) && c.cel.quickValid(u.Object, celconfig.PerCallLimit, &bound) {
		return errs // no rule fails and no cost limit can be reached
	}
	celErrs, _ := c.cel.validate(ctx, nil, u.Object, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}

// jsonSizeAtMost reports whether v, serialized as JSON, certainly takes at
// most limit bytes: the request size the CEL cost estimates assume. It
// counts every string byte as an escape sequence.
func jsonSizeAtMost(v any, limit int64) bool {
	n := int64(0)
	return jsonSizeWalk(v, &n, limit)
}

func jsonSizeWalk(v any, n *int64, limit int64) bool {
	switch t := v.(type) {
	case string:
		*n += 6*int64(len(t)) + 3 // quotes and a separator
	case map[string]any:
		*n += 2
		for k, child := range t {
			*n += 6*int64(len(k)) + 4
			if !jsonSizeWalk(child, n, limit) {
				return false
			}
		}
	case []any:
		*n += 2
		for _, child := range t {
			if !jsonSizeWalk(child, n, limit) {
				return false
			}
		}
	default: // numbers, bool, null
		*n += 32
	}
	return *n <= limit
}

// coerce prunes unknown fields (reporting each one) and normalizes metadata,
// as the API server's decoder does for a strict request.
func (c *crdValidator) coerce(u *unstructured.Unstructured) field.ErrorList {
	var errs field.ErrorList
	// structuralpruning.PruneWithOptions(u.Object, c.structural, true, ...)
	unknown := c.tree.pruneWithOptions(u.Object, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	c.tree.pruneNulls(u.Object) // structuraldefaulting.PruneNonNullableNullsWithoutDefaults
	var metaUnknown []string
	if c.embedded {
		var ferr *field.Error
		ferr, metaUnknown = schemaobjectmeta.CoerceWithOptions(nil, u.Object, c.structural, false,
			schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
		if ferr != nil {
			errs = append(errs, ferr)
		}
	}
	for _, p := range append(unknown, metaUnknown...) {
		errs = append(errs, unknownField(p))
	}
	return errs
}

// hasEmbeddedResource reports whether s or a node below it (the properties,
// items and additional properties that schemaobjectmeta walks) is an
// embedded resource. Without one, schemaobjectmeta.CoerceWithOptions and
// Validate (not at a resource root) walk the object and change nothing.
func hasEmbeddedResource(s *structuralschema.Structural) bool {
	if s == nil {
		return false
	}
	if s.XEmbeddedResource || hasEmbeddedResource(s.Items) {
		return true
	}
	if s.AdditionalProperties != nil && hasEmbeddedResource(s.AdditionalProperties.Structural) {
		return true
	}
	for name := range s.Properties {
		prop := s.Properties[name]
		if hasEmbeddedResource(&prop) {
			return true
		}
	}
	return false
}

// unknownField is how a strict request reports a field the schema does not declare.
func unknownField(path string) *field.Error {
	return field.Forbidden(field.NewPath(path), "unknown field")
}

// blocking reports errors after which the API server skips CEL rules.
func blocking(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong,
			field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
