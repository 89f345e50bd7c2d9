package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// RBAC of BackendTLSPolicies and the ConfigMaps holding their CA bundles.
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=backendtlspolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=backendtlspolicies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch

// addBackendTLSPolicies puts every BackendTLSPolicy into res, with the
// ConfigMaps they name (the translator leaves out policies of Services no
// route of ours uses); refs records the ConfigMaps' keys.
func addBackendTLSPolicies(ctx context.Context, r client.Reader, res *gatewayapi.Resources, refs *references) error {
	var list gwapiv1.BackendTLSPolicyList
	if err := r.List(ctx, &list); err != nil {
		return err
	}
	for i := range list.Items {
		p := &list.Items[i]
		res.BackendTLSPolicies = append(res.BackendTLSPolicies, p)
		for _, ref := range p.Spec.Validation.CACertificateRefs {
			if ref.Group == "" && ref.Kind == "ConfigMap" {
				refs.configMaps.Insert(types.NamespacedName{Namespace: p.Namespace, Name: string(ref.Name)})
			}
		}
	}
	var err error
	res.ConfigMaps, err = getAll(ctx, r, refs.configMaps, func() *corev1.ConfigMap { return &corev1.ConfigMap{} })
	return err
}

// writeBackendTLSPolicies writes our ancestor entries of every policy, and
// removes them from policies that no longer apply to any of our Gateways.
func (w *statusWriter) writeBackendTLSPolicies(
	ctx context.Context, statuses []gatewayapi.PolicyStatus, now metav1.Time,
) {
	desired := make(map[types.NamespacedName][]gwapiv1.PolicyAncestorStatus, len(statuses))
	for _, s := range statuses {
		desired[key(s.ObjectKey)] = s.Status.Ancestors
	}
	var list gwapiv1.BackendTLSPolicyList
	if err := w.cache.List(ctx, &list); err != nil {
		w.roundFailed = true
		w.log.Error(err, "listing policies for status", "kind", "BackendTLSPolicy")
		return
	}
	for i := range list.Items {
		k := client.ObjectKeyFromObject(&list.Items[i])
		ancestors, ok := desired[k]
		if !ok && !hasAncestorsOf(list.Items[i].Status.Ancestors, w.opts.ControllerName) {
			continue
		}
		w.update(ctx, "BackendTLSPolicy", k, &gwapiv1.BackendTLSPolicy{}, func(o client.Object) bool {
			p := o.(*gwapiv1.BackendTLSPolicy)
			var changed bool
			p.Status.Ancestors, changed = mergePolicyAncestors(p.Status.Ancestors, ancestors, w.opts.ControllerName, now)
			return changed
		})
	}
}

// mergePolicyAncestors returns the ancestor statuses to store for a policy:
// the entries of other controllers untouched and in place, then ours as
// desired. Our entries that are no longer desired are removed.
func mergePolicyAncestors(
	existing, desired []gwapiv1.PolicyAncestorStatus, controllerName string, now metav1.Time,
) ([]gwapiv1.PolicyAncestorStatus, bool) {
	return mergeControllerEntries(existing, desired, now, statusEntry[gwapiv1.PolicyAncestorStatus]{
		ours:       func(e *gwapiv1.PolicyAncestorStatus) bool { return string(e.ControllerName) == controllerName },
		ref:        func(e *gwapiv1.PolicyAncestorStatus) any { return e.AncestorRef },
		conditions: func(e *gwapiv1.PolicyAncestorStatus) *[]metav1.Condition { return &e.Conditions },
		deepCopy:   func(e *gwapiv1.PolicyAncestorStatus) gwapiv1.PolicyAncestorStatus { return *e.DeepCopy() },
	})
}

// hasAncestorsOf reports whether any ancestor entry belongs to controllerName.
func hasAncestorsOf(ancestors []gwapiv1.PolicyAncestorStatus, controllerName string) bool {
	for _, a := range ancestors {
		if string(a.ControllerName) == controllerName {
			return true
		}
	}
	return false
}

// newReferences returns empty references.
func newReferences() *references {
	return &references{
		services: sets.New[types.NamespacedName](), secrets: sets.New[types.NamespacedName](),
		configMaps: sets.New[types.NamespacedName](), rateLimitFilters: sets.New[types.NamespacedName](),
	}
}
