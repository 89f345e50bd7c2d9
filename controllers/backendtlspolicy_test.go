package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestMergePolicyAncestors(t *testing.T) {
	const ours = "example.com/ours"
	then := metav1.NewTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	now := metav1.NewTime(then.Add(time.Hour))
	ancestor := func(controller, gateway string, status metav1.ConditionStatus, at metav1.Time) gwapiv1.PolicyAncestorStatus {
		return gwapiv1.PolicyAncestorStatus{
			AncestorRef:    gwapiv1.ParentReference{Name: gwapiv1.ObjectName(gateway)},
			ControllerName: gwapiv1.GatewayController(controller),
			Conditions:     []metav1.Condition{{Type: "Accepted", Status: status, Reason: "R", LastTransitionTime: at}},
		}
	}
	cases := []struct {
		name              string
		existing, desired []gwapiv1.PolicyAncestorStatus
		want              []gwapiv1.PolicyAncestorStatus
		changed           bool
	}{{
		name:     "new entry after the other controller's",
		existing: []gwapiv1.PolicyAncestorStatus{ancestor("other", "a", metav1.ConditionTrue, then)},
		desired:  []gwapiv1.PolicyAncestorStatus{ancestor(ours, "b", metav1.ConditionTrue, metav1.Time{})},
		want: []gwapiv1.PolicyAncestorStatus{
			ancestor("other", "a", metav1.ConditionTrue, then), ancestor(ours, "b", metav1.ConditionTrue, now),
		},
		changed: true,
	}, {
		name:     "same status keeps its transition time and changes nothing",
		existing: []gwapiv1.PolicyAncestorStatus{ancestor(ours, "b", metav1.ConditionTrue, then)},
		desired:  []gwapiv1.PolicyAncestorStatus{ancestor(ours, "b", metav1.ConditionTrue, metav1.Time{})},
		want:     []gwapiv1.PolicyAncestorStatus{ancestor(ours, "b", metav1.ConditionTrue, then)},
	}, {
		name:     "status change moves the transition time",
		existing: []gwapiv1.PolicyAncestorStatus{ancestor(ours, "b", metav1.ConditionTrue, then)},
		desired:  []gwapiv1.PolicyAncestorStatus{ancestor(ours, "b", metav1.ConditionFalse, metav1.Time{})},
		want:     []gwapiv1.PolicyAncestorStatus{ancestor(ours, "b", metav1.ConditionFalse, now)},
		changed:  true,
	}, {
		name:     "our entry no longer desired is removed",
		existing: []gwapiv1.PolicyAncestorStatus{ancestor(ours, "b", metav1.ConditionTrue, then)},
		want:     []gwapiv1.PolicyAncestorStatus{},
		changed:  true,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, changed := mergePolicyAncestors(c.existing, c.desired, ours, now)
			if changed != c.changed {
				t.Errorf("changed = %v, want %v", changed, c.changed)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d ancestors, want %d: %+v", len(got), len(c.want), got)
			}
			for i := range got {
				g, w := got[i], c.want[i]
				if g.ControllerName != w.ControllerName || g.AncestorRef.Name != w.AncestorRef.Name ||
					g.Conditions[0].Status != w.Conditions[0].Status ||
					!g.Conditions[0].LastTransitionTime.Equal(&w.Conditions[0].LastTransitionTime) {
					t.Errorf("ancestor %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}
