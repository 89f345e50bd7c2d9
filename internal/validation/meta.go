package validation

import (
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
)

// validateObjectMeta checks metadata as the API server does on create: name
// format (nameFn), namespace presence, labels, annotations, owner references.
func validateObjectMeta(u *unstructured.Unstructured, namespaced bool, nameFn apimachineryvalidation.ValidateNameFunc) field.ErrorList {
	path := field.NewPath("metadata")
	meta, _, err := schemaobjectmeta.GetObjectMeta(u.Object, false)
	if err != nil {
		return field.ErrorList{field.Invalid(path, nil, err.Error())}
	}
	if meta == nil {
		return field.ErrorList{field.Required(path, "")}
	}
	return apimachineryvalidation.ValidateObjectMeta(meta, namespaced, nameFn, path)
}
