package controllers

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
)

// eventReporter is the reportingController of the provider's Kubernetes
// Events (events.k8s.io, through controller-runtime's recorder).
const eventReporter = "envoy-gateway"

// Actions of the provider's events.
const (
	actionReconcile = "Reconcile"
	actionDelete    = "Delete"
	actionAccept    = "Accept"
)

// RecordFleetEvent makes Kubernetes Events of what the infra layer did to a
// fleet: one on each of the fleet's Gateways that exists, or one on its
// GatewayClass when it names none that exists.
func (p *Provider) RecordFleetEvent(e bus.FleetEvent) {
	eventType, action := corev1.EventTypeNormal, actionReconcile
	if e.Warning {
		eventType = corev1.EventTypeWarning
	}
	if e.Reason == bus.ReasonFleetDeleted {
		action = actionDelete
	}
	ctx := context.Background() // reads the informer cache only
	recorded := false
	for _, g := range e.Gateways {
		ns, name, ok := strings.Cut(g, "/")
		var gw gwapiv1.Gateway
		if ok && p.mgr.GetClient().Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &gw) == nil {
			p.recorder.Eventf(&gw, nil, eventType, e.Reason, action, "%s", e.Message)
			recorded = true
		}
	}
	var gc gwapiv1.GatewayClass
	if recorded || e.GatewayClass == "" {
		return
	}
	if p.mgr.GetClient().Get(ctx, client.ObjectKey{Name: e.GatewayClass}, &gc) == nil {
		p.recorder.Eventf(&gc, nil, eventType, e.Reason, action, "%s", e.Message)
	}
}

// recordAcceptedTransition records an event on obj when its Accepted
// condition turns False (a Warning with the condition's reason) or turns
// True again after being False. Nothing is recorded while it stays as it
// was, so a result that changes nothing records nothing.
func recordAcceptedTransition(rec recorder.EventRecorder, obj runtime.Object, before, after []metav1.Condition) {
	was := meta.FindStatusCondition(before, "Accepted")
	now := meta.FindStatusCondition(after, "Accepted")
	switch {
	case now == nil:
	case now.Status == metav1.ConditionFalse && (was == nil || was.Status != now.Status || was.Reason != now.Reason):
		rec.Eventf(obj, nil, corev1.EventTypeWarning, now.Reason, actionAccept, "%s", now.Message)
	case now.Status == metav1.ConditionTrue && was != nil && was.Status == metav1.ConditionFalse:
		rec.Eventf(obj, nil, corev1.EventTypeNormal, now.Reason, actionAccept, "%s", now.Message)
	}
}
