package applied

import (
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// Report holds the Applied conditions of one translation result, computed
// once per status write round. A nil Report adds no condition.
type Report struct {
	index  *fleetIndex
	fleets map[string]FleetCondition
	// rejectedRoutes are the routes ("<Kind> <ns>/<name>") a rejection
	// names, with the fleet that rejected them.
	rejectedRoutes map[string]string
}

// Report computes the Applied condition of every fleet of current.
func (t *Tracker) Report(current *gatewayapi.Result) *Report {
	r := &Report{index: t.index(current), fleets: map[string]FleetCondition{}, rejectedRoutes: map[string]string{}}
	if current == nil {
		return r
	}
	for _, f := range current.Fleets {
		if f == nil {
			continue
		}
		c := t.fleetCondition(current, f.Name)
		c.KeepStored = c.restarting && t.now().Sub(t.started) < t.grace
		r.fleets[f.Name] = c
		if c.Rejection == nil {
			continue
		}
		for _, name := range c.Rejection.RejectedRoutes {
			if kind, k, ok := routeOf(name); ok {
				r.rejectedRoutes[kind+" "+k.Namespace+"/"+k.Name] = f.Name
			}
		}
	}
	return r
}

// RejectsRoutes reports whether a fleet's rejection names routes, whose
// statuses then carry the fleet's condition (see RouteParents).
func (r *Report) RejectsRoutes() bool { return r != nil && len(r.rejectedRoutes) > 0 }

// Pushing reports whether some fleet of the result has connected proxies
// that do not all hold the configuration built from it yet: the xDS
// server has yet to serve it, or is sending it, or waits for an ACK.
func (r *Report) Pushing() bool {
	if r == nil {
		return false
	}
	for _, c := range r.fleets {
		if c.pushing {
			return true
		}
	}
	return false
}

// Fleet returns the condition of a fleet, and whether the result has it.
func (r *Report) Fleet(name string) (FleetCondition, bool) {
	c, ok := r.fleets[name]
	return c, ok
}

func (c FleetCondition) condition(generation int64) metav1.Condition {
	return metav1.Condition{Type: ConditionType, Status: c.Status, Reason: c.Reason,
		Message: c.Message, ObservedGeneration: generation}
}

// withCondition returns conds (not modified) with cond added or replacing
// the condition of its type.
func withCondition(conds []metav1.Condition, cond metav1.Condition) []metav1.Condition {
	out := slices.DeleteFunc(slices.Clone(conds), func(c metav1.Condition) bool { return c.Type == cond.Type })
	return append(out, cond)
}

// GatewayStatus returns s with the Applied condition of its fleet added
// (s is not modified); a Gateway served by no fleet is returned as it is.
// stored are the conditions stored now (see ReconnectGrace).
func (r *Report) GatewayStatus(s gatewayapi.GatewayStatus, stored []metav1.Condition) gwapiv1.GatewayStatus {
	if r == nil {
		return s.Status
	}
	out := s.Status
	out.Conditions = r.withFleetCondition(r.index.gateways[s.ObjectKey], s.Status.Conditions, stored)
	return out
}

// withFleetCondition returns conds (not modified) with the Applied
// condition of fleet added; conds itself when the fleet has no condition.
// stored are the conditions stored now (see ReconnectGrace).
func (r *Report) withFleetCondition(fleet string, conds, stored []metav1.Condition) []metav1.Condition {
	fc, ok := r.fleets[fleet]
	if !ok {
		return conds
	}
	return withCondition(conds, fc.conditionOver(stored, maxGeneration(conds)))
}

// conditionOver returns the condition at generation, or the stored True
// or False one of the same generation when fc keeps it.
func (c FleetCondition) conditionOver(stored []metav1.Condition, generation int64) metav1.Condition {
	if c.KeepStored {
		old := meta.FindStatusCondition(stored, ConditionType)
		if old != nil && old.ObservedGeneration == generation && old.Status != metav1.ConditionUnknown {
			return *old
		}
	}
	return c.condition(generation)
}

// ListenerSetStatus returns s with the Applied condition of the fleet that
// serves its listeners added (s is not modified); a ListenerSet none of
// whose listeners is served is returned as it is. stored are the
// conditions stored now (see ReconnectGrace).
func (r *Report) ListenerSetStatus(s gatewayapi.ListenerSetStatus, stored []metav1.Condition) gwapiv1.ListenerSetStatus {
	if r == nil {
		return s.Status
	}
	out := s.Status
	out.Conditions = r.withFleetCondition(r.index.listenerSets[s.ObjectKey], s.Status.Conditions, stored)
	return out
}

// RouteParents returns the parent statuses of a route of kind ("HTTPRoute",
// "TLSRoute") with an Applied False/Rejected condition on the parents of
// the fleet whose proxies rejected one of its routes (s is not modified).
// Other routes get no Applied condition.
func (r *Report) RouteParents(kind string, s gatewayapi.RouteStatus) []gwapiv1.RouteParentStatus {
	if r == nil || len(r.rejectedRoutes) == 0 {
		return s.Parents
	}
	fleet, ok := r.rejectedRoutes[kind+" "+s.Namespace+"/"+s.Name]
	if !ok {
		return s.Parents
	}
	fc := r.fleets[fleet]
	out := make([]gwapiv1.RouteParentStatus, len(s.Parents))
	for i, p := range s.Parents {
		out[i] = p
		if r.parentFleet(p.ParentRef, s.Namespace) == fleet {
			out[i].Conditions = withCondition(p.Conditions, fc.condition(maxGeneration(p.Conditions)))
		}
	}
	return out
}

// parentFleet returns the fleet serving a route's parent.
func (r *Report) parentFleet(ref gwapiv1.ParentReference, routeNamespace string) string {
	k := gatewayapi.ObjectKey{Namespace: routeNamespace, Name: string(ref.Name)}
	if ref.Namespace != nil {
		k.Namespace = string(*ref.Namespace)
	}
	if ref.Kind != nil && *ref.Kind == "ListenerSet" {
		return r.index.listenerSets[k]
	}
	return r.index.gateways[k]
}
