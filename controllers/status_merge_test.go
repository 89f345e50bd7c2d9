package controllers

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

var (
	t0 = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 = metav1.NewTime(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
)

func cond(typ string, status metav1.ConditionStatus, reason string, at metav1.Time) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: reason, ObservedGeneration: 1, LastTransitionTime: at}
}

func TestMergeConditions(t *testing.T) {
	cases := []struct {
		name     string
		existing []metav1.Condition
		desired  []metav1.Condition
		want     []metav1.Condition
	}{
		{
			name:    "new condition gets now",
			desired: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", metav1.Time{})},
			want:    []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", t1)},
		},
		{
			name:     "unchanged status keeps its time",
			existing: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", t0)},
			desired:  []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", metav1.Time{})},
			want:     []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", t0)},
		},
		{
			name:     "reason change without status change keeps its time",
			existing: []metav1.Condition{cond("Programmed", metav1.ConditionFalse, "NoResources", t0)},
			desired:  []metav1.Condition{cond("Programmed", metav1.ConditionFalse, "AddressNotAssigned", metav1.Time{})},
			want:     []metav1.Condition{cond("Programmed", metav1.ConditionFalse, "AddressNotAssigned", t0)},
		},
		{
			name:     "status change gets now",
			existing: []metav1.Condition{cond("Programmed", metav1.ConditionFalse, "NoResources", t0)},
			desired:  []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", metav1.Time{})},
			want:     []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", t1)},
		},
		{
			name:     "conditions no longer desired are dropped",
			existing: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", t0), cond("Old", metav1.ConditionTrue, "Old", t0)},
			desired:  []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", metav1.Time{})},
			want:     []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", t0)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := mergeConditions(tc.existing, tc.desired, t1)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func parent(controller, gateway string, at metav1.Time) gwapiv1.RouteParentStatus {
	return gwapiv1.RouteParentStatus{
		ParentRef:      gwapiv1.ParentReference{Name: gwapiv1.ObjectName(gateway)},
		ControllerName: gwapiv1.GatewayController(controller),
		Conditions:     []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", at)},
	}
}

func TestMergeRouteParents(t *testing.T) {
	const ours, theirs = "example.com/ours", "example.com/theirs"
	cases := []struct {
		name        string
		existing    []gwapiv1.RouteParentStatus
		desired     []gwapiv1.RouteParentStatus
		want        []gwapiv1.RouteParentStatus
		wantChanged bool
	}{
		{
			name:        "other controllers' entries are preserved",
			existing:    []gwapiv1.RouteParentStatus{parent(theirs, "a", t0)},
			desired:     []gwapiv1.RouteParentStatus{parent(ours, "b", metav1.Time{})},
			want:        []gwapiv1.RouteParentStatus{parent(theirs, "a", t0), parent(ours, "b", t1)},
			wantChanged: true,
		},
		{
			name:        "an unchanged entry is not a change",
			existing:    []gwapiv1.RouteParentStatus{parent(theirs, "a", t0), parent(ours, "b", t0)},
			desired:     []gwapiv1.RouteParentStatus{parent(ours, "b", metav1.Time{})},
			want:        []gwapiv1.RouteParentStatus{parent(theirs, "a", t0), parent(ours, "b", t0)},
			wantChanged: false,
		},
		{
			name:        "our stale entries are removed",
			existing:    []gwapiv1.RouteParentStatus{parent(ours, "old", t0), parent(theirs, "a", t0)},
			desired:     nil,
			want:        []gwapiv1.RouteParentStatus{parent(theirs, "a", t0)},
			wantChanged: true,
		},
		{
			name:        "removing our last entry leaves an empty list, not null",
			existing:    []gwapiv1.RouteParentStatus{parent(ours, "old", t0)},
			want:        []gwapiv1.RouteParentStatus{},
			wantChanged: true,
		},
		{
			name:        "nothing and nothing",
			want:        []gwapiv1.RouteParentStatus{},
			wantChanged: false,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := mergeRouteParents(tc.existing, tc.desired, ours, t1)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if changed != tc.wantChanged {
				t.Fatalf("changed = %v, want %v", changed, tc.wantChanged)
			}
		})
	}
}

func TestMergeGatewayStatusKeepsListenerTimes(t *testing.T) {
	existing := gwapiv1.GatewayStatus{
		Conditions: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", t0)},
		Listeners: []gwapiv1.ListenerStatus{{
			Name:       "http",
			Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", t0)},
		}},
	}
	desired := gwapiv1.GatewayStatus{
		Conditions: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", metav1.Time{})},
		Listeners: []gwapiv1.ListenerStatus{{
			Name:       "http",
			Conditions: []metav1.Condition{cond("Programmed", metav1.ConditionTrue, "Programmed", metav1.Time{})},
		}},
	}
	got, changed := mergeGatewayStatus(existing, desired, t1)
	if changed {
		t.Fatalf("unchanged status reported as changed: %+v", got)
	}
	desired.Listeners[0].AttachedRoutes = 2
	got, changed = mergeGatewayStatus(existing, desired, t1)
	if !changed || got.Listeners[0].AttachedRoutes != 2 || !got.Listeners[0].Conditions[0].LastTransitionTime.Equal(&t0) {
		t.Fatalf("attachedRoutes change: changed=%v status=%+v", changed, got)
	}
}

func TestMergeListenerSetStatus(t *testing.T) {
	existing := gwapiv1.ListenerSetStatus{
		Conditions: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", t0)},
		Listeners: []gwapiv1.ListenerEntryStatus{{
			Name:       "a",
			Conditions: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", t0)},
		}},
	}
	desired := gwapiv1.ListenerSetStatus{
		Conditions: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", metav1.Time{})},
		Listeners: []gwapiv1.ListenerEntryStatus{{
			Name:       "a",
			Conditions: []metav1.Condition{cond("Accepted", metav1.ConditionFalse, "HostnameConflict", metav1.Time{})},
		}},
	}
	got, changed := mergeListenerSetStatus(existing, desired, t1)
	if !changed {
		t.Error("a listener condition changed status: want changed")
	}
	if got.Conditions[0].LastTransitionTime != t0 || got.Listeners[0].Conditions[0].LastTransitionTime != t1 {
		t.Errorf("transition times: set %v (want %v), listener %v (want %v)",
			got.Conditions[0].LastTransitionTime, t0, got.Listeners[0].Conditions[0].LastTransitionTime, t1)
	}
	if _, changed := mergeListenerSetStatus(got, desired, t1); changed {
		t.Error("merging the same desired status again: want unchanged")
	}
}

// TestSameRouteParentsAgreesWithMerge checks, on random stored and desired
// parents, that sameRouteParents never says unchanged when the merge
// changes something, and that it says unchanged for parents the merge
// just wrote with the same desired entries (the common case it is for).
func TestSameRouteParentsAgreesWithMerge(t *testing.T) {
	const ours = "example.com/ours"
	rng := rand.New(rand.NewPCG(7, 18))
	sections := []string{"", "http", "https"}
	randomParents := func(controllers ...string) []gwapiv1.RouteParentStatus {
		out := make([]gwapiv1.RouteParentStatus, rng.IntN(4))
		for i := range out {
			ref := gwapiv1.ParentReference{Name: gwapiv1.ObjectName(fmt.Sprintf("gw-%d", rng.IntN(3)))}
			if s := sections[rng.IntN(len(sections))]; s != "" {
				ref.SectionName = new(gwapiv1.SectionName(s))
			}
			conds := make([]metav1.Condition, rng.IntN(4)) // up to 3: a type twice
			for j := range conds {
				conds[j] = metav1.Condition{
					Type: []string{"Accepted", "ResolvedRefs"}[j%2], Status: []metav1.ConditionStatus{"True", "False"}[rng.IntN(2)],
					Reason: "R", Message: fmt.Sprint(rng.IntN(2)), ObservedGeneration: int64(rng.IntN(2)),
					LastTransitionTime: metav1.Unix(int64(rng.IntN(3)), 0),
				}
			}
			out[i] = gwapiv1.RouteParentStatus{ParentRef: ref, ControllerName: gwapiv1.GatewayController(controllers[rng.IntN(len(controllers))]), Conditions: conds}
		}
		return out
	}
	now := metav1.Unix(100, 0)
	hits := 0
	for range 20000 {
		stored := randomParents(ours, "example.com/other")
		desired := randomParents(ours)
		if rng.IntN(2) == 0 {
			// stored as the merge writes it, desired then unchanged or
			// changed in one field
			stored, _ = mergeRouteParents(stored, desired, ours, now)
			desired = cloneParents(desired)
			if len(desired) > 0 && rng.IntN(2) == 0 {
				p := &desired[rng.IntN(len(desired))]
				switch k := rng.IntN(6); {
				case k == 0:
					p.ParentRef.SectionName = new(gwapiv1.SectionName("other"))
				case k == 1:
					p.ControllerName = "example.com/other"
				case len(p.Conditions) == 0:
					p.Conditions = []metav1.Condition{{Type: "Accepted", Status: "True"}}
				default:
					c := &p.Conditions[rng.IntN(len(p.Conditions))]
					switch k {
					case 2:
						c.Message += "!"
					case 3:
						c.Reason += "!"
					case 4:
						c.ObservedGeneration++
					default:
						c.Status = "Unknown"
					}
				}
			}
		}
		_, changed := mergeRouteParents(cloneParents(stored), desired, ours, now)
		same := sameRouteParents(stored, desired, ours)
		if same && changed {
			t.Fatalf("sameRouteParents says unchanged, the merge changes it:\nstored %+v\ndesired %+v", stored, desired)
		}
		if same {
			hits++
		}
	}
	if hits < 5000 {
		t.Errorf("sameRouteParents recognised %d unchanged parents of 20,000, want most of the merged half", hits)
	}
}
