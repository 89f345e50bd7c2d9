package validation

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// coreValidator validates one built-in kind: strict decoding into the Go
// type, the API server's defaults, metadata and a subset of the kind's
// validation (what the translator relies on). The full built-in validation
// lives in k8s.io/kubernetes, which is not importable as a library.
type coreValidator struct {
	scoped   bool
	nameFn   apimachineryvalidation.ValidateNameFunc
	newObj   func() runtime.Object
	defaults func(obj runtime.Object)
	check    func(obj runtime.Object) field.ErrorList
}

func coreValidators() map[schema.GroupVersionKind]*coreValidator {
	return map[schema.GroupVersionKind]*coreValidator{
		corev1.SchemeGroupVersion.WithKind("Namespace"): {
			nameFn:   apimachineryvalidation.ValidateNamespaceName,
			newObj:   func() runtime.Object { return &corev1.Namespace{} },
			defaults: func(o runtime.Object) { defaultNamespace(o.(*corev1.Namespace)) },
			check:    func(runtime.Object) field.ErrorList { return nil },
		},
		corev1.SchemeGroupVersion.WithKind("Service"): {
			scoped:   true,
			nameFn:   apimachineryvalidation.NameIsDNS1035Label,
			newObj:   func() runtime.Object { return &corev1.Service{} },
			defaults: func(o runtime.Object) { defaultService(o.(*corev1.Service)) },
			check:    func(o runtime.Object) field.ErrorList { return validateService(o.(*corev1.Service)) },
		},
		corev1.SchemeGroupVersion.WithKind("Secret"): {
			scoped:   true,
			nameFn:   apimachineryvalidation.NameIsDNSSubdomain,
			newObj:   func() runtime.Object { return &corev1.Secret{} },
			defaults: func(o runtime.Object) { defaultSecret(o.(*corev1.Secret)) },
			check:    func(o runtime.Object) field.ErrorList { return validateSecret(o.(*corev1.Secret)) },
		},
		corev1.SchemeGroupVersion.WithKind("ConfigMap"): {
			scoped:   true,
			nameFn:   apimachineryvalidation.NameIsDNSSubdomain,
			newObj:   func() runtime.Object { return &corev1.ConfigMap{} },
			defaults: func(runtime.Object) {},
			check:    func(o runtime.Object) field.ErrorList { return validateConfigMap(o.(*corev1.ConfigMap)) },
		},
		discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"): {
			scoped:   true,
			nameFn:   apimachineryvalidation.NameIsDNSSubdomain,
			newObj:   func() runtime.Object { return &discoveryv1.EndpointSlice{} },
			defaults: func(o runtime.Object) { defaultEndpointSlice(o.(*discoveryv1.EndpointSlice)) },
			check: func(o runtime.Object) field.ErrorList {
				return validateEndpointSlice(o.(*discoveryv1.EndpointSlice))
			},
		},
	}
}

func (c *coreValidator) namespaced() bool { return c.scoped }

func (c *coreValidator) validate(_ context.Context, u *unstructured.Unstructured) field.ErrorList {
	obj := c.newObj()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, obj, true); err != nil {
		return decodingErrors(err)
	}
	c.defaults(obj)
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	u.Object = content
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	errs := apimachineryvalidation.ValidateObjectMetaAccessor(accessor, c.scoped, c.nameFn, field.NewPath("metadata"))
	return append(errs, c.check(obj)...)
}

// decodingErrors turns a strict decoding error into one error per unknown field.
func decodingErrors(err error) field.ErrorList {
	strict, ok := runtime.AsStrictDecodingError(err)
	if !ok {
		return field.ErrorList{field.Invalid(nil, nil, err.Error())}
	}
	var errs field.ErrorList
	for _, e := range strict.Errors() {
		msg := e.Error()
		path, found := strings.CutPrefix(msg, `unknown field "`)
		if !found {
			errs = append(errs, field.Invalid(nil, nil, msg))
			continue
		}
		errs = append(errs, unknownField(strings.TrimSuffix(path, `"`)))
	}
	return errs
}
