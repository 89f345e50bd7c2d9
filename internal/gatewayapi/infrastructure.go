package gatewayapi

import (
	"slices"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// reservedLabelKeys are the labels the infra renderer sets on every fleet
// object; infrastructure.labels may not set them (a selector or ownership
// label replaced would orphan or mis-select the fleet's Pods).
var reservedLabelKeys = []string{
	"app.kubernetes.io/component",
	"app.kubernetes.io/managed-by",
	"app.kubernetes.io/name",
	gwapiv1.GatewayNameLabelKey,
}

// reservedPrefix is the prefix of the labels and annotations this project
// sets on fleet objects.
const reservedPrefix = "gateway.envoyproxy.io/"

// validateInfrastructure rejects spec.infrastructure metadata keys that the
// fleet's own labels and annotations use.
func validateInfrastructure(infra *gwapiv1.GatewayInfrastructure) *gatewayError {
	if infra == nil {
		return nil
	}
	for _, k := range sortedKeys(infra.Labels) {
		if slices.Contains(reservedLabelKeys, string(k)) || strings.HasPrefix(string(k), reservedPrefix) {
			return errorf(gwapiv1.GatewayReasonInvalidParameters,
				"spec.infrastructure.labels[%q]: the key is reserved for the Gateway's Envoy fleet labels", k)
		}
	}
	for _, k := range sortedKeys(infra.Annotations) {
		if strings.HasPrefix(string(k), reservedPrefix) {
			return errorf(gwapiv1.GatewayReasonInvalidParameters,
				"spec.infrastructure.annotations[%q]: keys under %s are reserved for the Gateway's Envoy fleet", k, reservedPrefix)
		}
	}
	return nil
}

// infraMetadata returns the labels and annotations the fleet's objects carry
// from its Gateways' spec.infrastructure: those of its Gateway for a fleet of
// one, and for a merged fleet only the entries that every Gateway sets to
// the same value (any other choice would let one Gateway's metadata
// describe objects shared with Gateways that did not ask for it).
func (f *fleetModel) infraMetadata() (labels, annotations map[string]string) {
	for i, g := range f.gateways {
		l, a := map[string]string{}, map[string]string{}
		if infra := g.obj.Spec.Infrastructure; infra != nil {
			for k, v := range infra.Labels {
				l[string(k)] = string(v)
			}
			for k, v := range infra.Annotations {
				a[string(k)] = string(v)
			}
		}
		if i == 0 {
			labels, annotations = l, a
			continue
		}
		labels, annotations = intersect(labels, l), intersect(annotations, a)
	}
	if len(labels) == 0 {
		labels = nil
	}
	if len(annotations) == 0 {
		annotations = nil
	}
	return labels, annotations
}

// intersect returns the entries of a that b has with the same value.
func intersect(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		if bv, ok := b[k]; ok && bv == v {
			out[k] = v
		}
	}
	return out
}

// sortedKeys returns the keys of m in order, so the first invalid key reported is stable.
func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
