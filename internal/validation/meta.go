package validation

import (
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
)

// validateObjectMeta checks metadata as the API server does on create: name
// format (nameFn), namespace presence, labels, annotations, owner references.
func validateObjectMeta(u *unstructured.Unstructured, namespaced bool, nameFn apimachineryvalidation.ValidateNameFunc) field.ErrorList {
	path := field.NewPath("metadata")
	meta, ok := simpleObjectMeta(u.Object)
	if !ok {
		var err error
		if meta, _, err = schemaobjectmeta.GetObjectMeta(u.Object, false); err != nil {
			return field.ErrorList{field.Invalid(path, nil, err.Error())}
		}
	}
	if meta == nil {
		return field.ErrorList{field.Required(path, "")}
	}
	return apimachineryvalidation.ValidateObjectMeta(meta, namespaced, nameFn, path)
}

// simpleObjectMeta is schemaobjectmeta.GetObjectMeta (a JSON round trip of
// the metadata into an ObjectMeta) for metadata made only of the fields
// files set (name, generateName, namespace, labels, annotations and the
// generation Validate sets), each of its JSON type: the same ObjectMeta,
// built directly. ok is false for anything else.
func simpleObjectMeta(obj map[string]any) (meta *metav1.ObjectMeta, ok bool) {
	m, isMap := obj["metadata"].(map[string]any)
	if !isMap {
		return nil, false
	}
	meta = &metav1.ObjectMeta{}
	for k, v := range m {
		switch k {
		case "name":
			meta.Name, ok = v.(string)
		case "generateName":
			meta.GenerateName, ok = v.(string)
		case "namespace":
			meta.Namespace, ok = v.(string)
		case "generation":
			meta.Generation, ok = v.(int64)
		case "labels":
			meta.Labels, ok = stringMap(v)
		case "annotations":
			meta.Annotations, ok = stringMap(v)
		default:
			return nil, false
		}
		if !ok {
			return nil, false
		}
	}
	return meta, true
}

// stringMap converts a JSON object of strings.
func stringMap(v any) (map[string]string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out[k] = s
	}
	return out, true
}
