package validation

import (
	"context"
	"fmt"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/crdserverscheme"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
)

// crdValidator validates the custom resources of one CRD version with the
// API server's own code: the structural schema, pruning and defaulting of
// k8s.io/apiextensions-apiserver, and the custom resource strategy the
// server creates objects with (metadata, OpenAPI schema, embedded objects,
// list types and CEL rules), run through rest.ValidateCreate.
type crdValidator struct {
	gvk     schema.GroupVersionKind
	scoped  bool
	version *apiextensionsv1.CustomResourceDefinitionVersion

	once       sync.Once
	compileErr error
	structural *structuralschema.Structural
	strategy   rest.RESTCreateStrategy
}

func (c *crdValidator) namespaced() bool { return c.scoped }

// compile builds what the API server builds when it starts serving a CRD
// version: the structural schema with its defaults pruned, the OpenAPI
// schema validators and the strategy (which compiles the CEL rules).
func (c *crdValidator) compile() {
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(c.version.Schema, internal, nil); err != nil {
		c.compileErr = fmt.Errorf("converting the %s schema: %w", c.gvk, err)
		return
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		c.compileErr = fmt.Errorf("structural schema of %s: %w", c.gvk, err)
		return
	}
	s = s.DeepCopy() // PruneDefaults changes it; NewStructural shares the defaults
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		c.compileErr = fmt.Errorf("pruning defaults of %s: %w", c.gvk, err)
		return
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		c.compileErr = fmt.Errorf("schema validator of %s: %w", c.gvk, err)
		return
	}
	status, statusValidator, err := c.statusSubresource(internal.OpenAPIV3Schema)
	if err != nil {
		c.compileErr = err
		return
	}
	c.structural = s
	c.strategy = customresource.NewStrategy(crdserverscheme.NewUnstructuredObjectTyper(), c.scoped, c.gvk,
		validator, statusValidator, s, status, nil, c.version.SelectableFields)
}

// statusSubresource converts the status subresource, if the version has
// one, and builds the validator of the status schema.
func (c *crdValidator) statusSubresource(openAPI *apiextensionsinternal.JSONSchemaProps) (*apiextensionsinternal.CustomResourceSubresourceStatus, apiservervalidation.SchemaValidator, error) {
	if c.version.Subresources == nil || c.version.Subresources.Status == nil {
		return nil, nil, nil
	}
	status := &apiextensionsinternal.CustomResourceSubresourceStatus{}
	if err := apiextensionsv1.Convert_v1_CustomResourceSubresourceStatus_To_apiextensions_CustomResourceSubresourceStatus(c.version.Subresources.Status, status, nil); err != nil {
		return nil, nil, fmt.Errorf("converting the %s status subresource: %w", c.gvk, err)
	}
	statusSchema, ok := openAPI.Properties["status"]
	if !ok {
		return status, nil, nil
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(&statusSchema)
	if err != nil {
		return nil, nil, fmt.Errorf("status schema validator of %s: %w", c.gvk, err)
	}
	return status, validator, nil
}

// validate decodes, prepares and validates u as a create request with
// strict field validation does.
func (c *crdValidator) validate(ctx context.Context, u *unstructured.Unstructured) field.ErrorList {
	c.once.Do(c.compile)
	if c.compileErr != nil {
		return field.ErrorList{field.InternalError(nil, c.compileErr)}
	}
	if errs := c.coerce(u); len(errs) > 0 {
		return errs // strict decoding fails before validation
	}
	structuraldefaulting.Default(u.Object, c.structural)
	c.strategy.PrepareForCreate(ctx, u) // drops status, sets generation 1
	return rest.ValidateCreate(ctx, u, c.strategy)
}

// coerce prunes unknown fields and normalizes metadata, as the API
// server's decoder does for custom resources, and reports every unknown
// field as a strict request does.
func (c *crdValidator) coerce(u *unstructured.Unstructured) field.ErrorList {
	meta, hasMeta, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object,
		schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("metadata"), field.OmitValueType{}, err.Error())}
	}
	unknown = append(unknown, structuralpruning.PruneWithOptions(u.Object, c.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, c.structural)
	ferr, embedded := schemaobjectmeta.CoerceWithOptions(nil, u.Object, c.structural, false,
		schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	var errs field.ErrorList
	if ferr != nil {
		errs = append(errs, ferr)
	}
	for _, p := range append(unknown, embedded...) {
		errs = append(errs, unknownField(p))
	}
	if len(errs) == 0 && hasMeta {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, meta); err != nil {
			errs = append(errs, field.InternalError(field.NewPath("metadata"), err))
		}
	}
	return errs
}

// unknownField is how a strict request reports a field the schema does not declare.
func unknownField(path string) *field.Error {
	return field.Forbidden(field.NewPath(path), "unknown field")
}
