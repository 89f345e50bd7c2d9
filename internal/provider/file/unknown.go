package file

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/validation"
)

// readGroups are the API groups the translator reads objects of. A
// document of one of them whose kind the group does not have is a mistake
// (a misspelled kind), not an object of someone else's to ignore.
var readGroups = map[string]string{
	"":                        "the core API group",
	discoveryv1.GroupName:     "API group " + discoveryv1.GroupName,
	gwapiv1.GroupName:         "API group " + gwapiv1.GroupName,
	egv1a1.GroupVersion.Group: "API group " + egv1a1.GroupVersion.Group,
}

// schemeKinds are the kinds of the read groups in the Go schemes we know
// (client-go's built-in kinds and this project's API), by group.
var schemeKinds = sync.OnceValue(func() map[string][]string {
	s := runtime.NewScheme()
	// Both only register types: they cannot fail on a new scheme.
	_ = clientgoscheme.AddToScheme(s)
	_ = egv1a1.AddToScheme(s)
	out := map[string][]string{}
	for gvk := range s.AllKnownTypes() {
		if _, read := readGroups[gvk.Group]; read {
			out[gvk.Group] = append(out[gvk.Group], gvk.Kind)
		}
	}
	return out
})

// unknownKind returns why gvk is an error: a kind its group, one we read,
// does not have (in the schemes or the CRDs the validator knows); "" when
// the group is not one we read or has the kind.
func unknownKind(v *validation.Validator, gvk schema.GroupVersionKind) string {
	group, read := readGroups[gvk.Group]
	if !read {
		return ""
	}
	kinds := append(v.Kinds(gvk.Group), schemeKinds()[gvk.Group]...)
	if slices.Contains(kinds, gvk.Kind) {
		return ""
	}
	msg := fmt.Sprintf("kind %s is not a kind of %s", gvk.Kind, group)
	if i := slices.IndexFunc(kinds, func(k string) bool { return strings.EqualFold(k, gvk.Kind) }); i >= 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", kinds[i])
	}
	return msg
}
