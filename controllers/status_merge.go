package controllers

import (
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// mergeConditions returns the desired conditions with lastTransitionTime
// carried over from existing conditions of the same type and status, and set
// to now for conditions whose status changed or that are new.
func mergeConditions(existing, desired []metav1.Condition, now metav1.Time) []metav1.Condition {
	if desired == nil {
		return nil
	}
	out := make([]metav1.Condition, len(desired))
	for i, d := range desired {
		d.LastTransitionTime = now
		for _, e := range existing {
			if e.Type == d.Type && e.Status == d.Status {
				d.LastTransitionTime = e.LastTransitionTime
				break
			}
		}
		out[i] = d
	}
	return out
}

// mergeGatewayClassStatus returns the status to store for a GatewayClass and
// whether it differs from the stored one.
func mergeGatewayClassStatus(
	existing, desired gwapiv1.GatewayClassStatus, now metav1.Time,
) (gwapiv1.GatewayClassStatus, bool) {
	merged := desired.DeepCopy()
	merged.Conditions = mergeConditions(existing.Conditions, desired.Conditions, now)
	return *merged, !equality.Semantic.DeepEqual(existing, *merged)
}

// mergeGatewayStatus returns the status to store for a Gateway and whether it
// differs from the stored one. The whole status is ours.
func mergeGatewayStatus(existing, desired gwapiv1.GatewayStatus, now metav1.Time) (gwapiv1.GatewayStatus, bool) {
	merged := desired.DeepCopy()
	merged.Conditions = mergeConditions(existing.Conditions, desired.Conditions, now)
	mergeListeners(existing.Listeners, merged.Listeners, listenerStatusConditions, now)
	return *merged, !equality.Semantic.DeepEqual(existing, *merged)
}

// mergeListenerSetStatus returns the status to store for a ListenerSet and
// whether it differs from the stored one. The whole status is ours.
func mergeListenerSetStatus(
	existing, desired gwapiv1.ListenerSetStatus, now metav1.Time,
) (gwapiv1.ListenerSetStatus, bool) {
	merged := desired.DeepCopy()
	merged.Conditions = mergeConditions(existing.Conditions, desired.Conditions, now)
	mergeListeners(existing.Listeners, merged.Listeners, listenerEntryStatusConditions, now)
	return *merged, !equality.Semantic.DeepEqual(existing, *merged)
}

// mergeListeners merges, in place, the conditions of every listener of
// merged with those of the stored listener of the same name; conditions
// returns a listener status's name and a pointer to its conditions.
func mergeListeners[L any](
	existing, merged []L, conditions func(*L) (gwapiv1.SectionName, *[]metav1.Condition), now metav1.Time,
) {
	stored := make(map[gwapiv1.SectionName][]metav1.Condition, len(existing))
	for i := range existing {
		name, conds := conditions(&existing[i])
		stored[name] = *conds
	}
	for i := range merged {
		name, conds := conditions(&merged[i])
		*conds = mergeConditions(stored[name], *conds, now)
	}
}

func listenerStatusConditions(l *gwapiv1.ListenerStatus) (gwapiv1.SectionName, *[]metav1.Condition) {
	return l.Name, &l.Conditions
}

func listenerEntryStatusConditions(l *gwapiv1.ListenerEntryStatus) (gwapiv1.SectionName, *[]metav1.Condition) {
	return l.Name, &l.Conditions
}

// mergeRouteParents returns the parent statuses to store for a route: the
// entries of other controllers untouched and in place, then ours as desired.
// Our entries that are no longer desired are removed.
func mergeRouteParents(
	existing, desired []gwapiv1.RouteParentStatus, controllerName string, now metav1.Time,
) ([]gwapiv1.RouteParentStatus, bool) {
	return mergeControllerEntries(existing, desired, now, statusEntry[gwapiv1.RouteParentStatus]{
		ours:       func(e *gwapiv1.RouteParentStatus) bool { return string(e.ControllerName) == controllerName },
		ref:        func(e *gwapiv1.RouteParentStatus) any { return e.ParentRef },
		conditions: func(e *gwapiv1.RouteParentStatus) *[]metav1.Condition { return &e.Conditions },
		deepCopy:   func(e *gwapiv1.RouteParentStatus) gwapiv1.RouteParentStatus { return *e.DeepCopy() },
	})
}

// statusEntry says how to handle one kind of per-controller status entry
// (route parents, policy ancestors).
type statusEntry[T any] struct {
	ours       func(*T) bool
	ref        func(*T) any
	conditions func(*T) *[]metav1.Condition
	deepCopy   func(*T) T
}

// mergeControllerEntries returns the entries to store: the entries of other
// controllers untouched and in place, then ours as desired, with the
// transition times of our existing entries for the same reference. Our
// entries that are no longer desired are removed. The result is never nil.
func mergeControllerEntries[T any](existing, desired []T, now metav1.Time, kind statusEntry[T]) ([]T, bool) {
	merged := []T{}
	for i := range existing {
		if !kind.ours(&existing[i]) {
			merged = append(merged, kind.deepCopy(&existing[i]))
		}
	}
	for i := range desired {
		d := kind.deepCopy(&desired[i])
		var old []metav1.Condition
		for j := range existing {
			e := &existing[j]
			if kind.ours(e) && equality.Semantic.DeepEqual(kind.ref(e), kind.ref(&d)) {
				old = *kind.conditions(e)
			}
		}
		*kind.conditions(&d) = mergeConditions(old, *kind.conditions(&d), now)
		merged = append(merged, d)
	}
	if len(merged) == 0 && len(existing) == 0 {
		return merged, false
	}
	return merged, !equality.Semantic.DeepEqual(existing, merged)
}

// hasParentsOf reports whether any parent status entry belongs to controllerName.
func hasParentsOf(parents []gwapiv1.RouteParentStatus, controllerName string) bool {
	return slices.ContainsFunc(parents, func(p gwapiv1.RouteParentStatus) bool {
		return string(p.ControllerName) == controllerName
	})
}

// mergeEnvoyProxyStatus returns the status to store for an EnvoyProxy and
// whether it differs from the stored one.
func mergeEnvoyProxyStatus(existing, desired egv1a1.EnvoyProxyStatus, now metav1.Time) (egv1a1.EnvoyProxyStatus, bool) {
	merged := egv1a1.EnvoyProxyStatus{Conditions: mergeConditions(existing.Conditions, desired.Conditions, now)}
	return merged, !equality.Semantic.DeepEqual(existing, merged)
}

// sameRouteParents reports, without copying anything, that merging desired
// into stored (mergeRouteParents) would change nothing: stored holds the
// entries of other controllers first, then ours exactly as desired, each
// condition with the transition time the merge would keep. It may report
// false for parents the merge would leave as they are (the caller then
// merges); never true for parents it would change. Most routes are
// unchanged on each write, and merging each to find out cost most of a
// write at 10,000 routes.
func sameRouteParents(stored, desired []gwapiv1.RouteParentStatus, controllerName string) bool {
	others := len(stored) - len(desired)
	if others < 0 {
		return false
	}
	for i := range stored {
		if ours := string(stored[i].ControllerName) == controllerName; ours != (i >= others) {
			return false
		}
	}
	for i := range desired {
		s, d := &stored[others+i], &desired[i]
		if s.ControllerName != d.ControllerName || !sameParentRef(s.ParentRef, d.ParentRef) ||
			!sameConditions(s.Conditions, d.Conditions) {
			return false
		}
		// The merge takes transition times from the last of our entries
		// for the parent: it must be this one.
		for j := i + 1; j < len(desired); j++ {
			if sameParentRef(stored[others+j].ParentRef, d.ParentRef) {
				return false
			}
		}
	}
	return true
}

// sameConditions reports whether stored equals desired merged into it
// (mergeConditions): the same conditions, each keeping its transition time.
func sameConditions(stored, desired []metav1.Condition) bool {
	if len(stored) != len(desired) {
		return false
	}
	for i, d := range desired {
		s := stored[i]
		if s.Type != d.Type || s.Status != d.Status || s.Reason != d.Reason || s.Message != d.Message ||
			s.ObservedGeneration != d.ObservedGeneration {
			return false
		}
		// The merge takes the transition time of the first stored
		// condition of the same type and status: it must be this one.
		if slices.IndexFunc(stored, func(e metav1.Condition) bool { return e.Type == d.Type && e.Status == d.Status }) != i {
			return false
		}
	}
	return true
}

func sameParentRef(a, b gwapiv1.ParentReference) bool {
	return a.Name == b.Name && samePtr(a.Group, b.Group) && samePtr(a.Kind, b.Kind) &&
		samePtr(a.Namespace, b.Namespace) && samePtr(a.SectionName, b.SectionName) && samePtr(a.Port, b.Port)
}

// samePtr reports whether a and b are both nil or point to equal values.
func samePtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
