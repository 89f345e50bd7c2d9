package infra

import (
	"fmt"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// applyOutcome is what applying one object did.
type applyOutcome int

const (
	unchanged applyOutcome = iota
	created
	updated
)

// fleetChanges are the kinds of a fleet's objects one apply created or
// changed.
type fleetChanges struct {
	created, updated []string
}

func (c *fleetChanges) add(kind string, o applyOutcome) {
	switch o {
	case created:
		c.created = append(c.created, kind)
	case updated:
		c.updated = append(c.updated, kind)
	}
}

// event is the FleetEvent of an apply that created or changed something:
// FleetCreated when it created the Deployment, else FleetUpdated.
func (c *fleetChanges) event(f *bus.Fleet, name, namespace string) (bus.FleetEvent, bool) {
	var parts []string
	if len(c.created) > 0 {
		parts = append(parts, "created "+strings.Join(c.created, ", "))
	}
	if len(c.updated) > 0 {
		parts = append(parts, "updated "+strings.Join(c.updated, ", "))
	}
	if len(parts) == 0 {
		return bus.FleetEvent{}, false
	}
	reason := bus.ReasonFleetUpdated
	for _, k := range c.created {
		if k == kindDeployment {
			reason = bus.ReasonFleetCreated
		}
	}
	msg := fmt.Sprintf("Proxy fleet %s: %s %s/%s", f.Name, strings.Join(parts, "; "), namespace, name)
	return fleetEvent(f, false, reason, msg), true
}

// fleetEvent is an event about a fleet whose IR may be incomplete.
func fleetEvent(f *bus.Fleet, warning bool, reason, msg string) bus.FleetEvent {
	e := bus.FleetEvent{Fleet: f.Name, GatewayClass: f.GatewayClass(), Warning: warning, Reason: reason, Message: msg}
	if f.Infra != nil && f.Infra.Proxy != nil {
		e.Gateways = f.Infra.Proxy.Gateways
	}
	return e
}

// deletedEvent is the FleetDeleted event of a fleet whose Deployment was
// deleted, about the Gateway and GatewayClass its labels name.
func deletedEvent(deployment client.Object) bus.FleetEvent {
	labels := deployment.GetLabels()
	e := bus.FleetEvent{
		Fleet:        deployment.GetAnnotations()[render.AnnotationFleetName],
		GatewayClass: labels[render.LabelOwningGatewayClass],
		Reason:       bus.ReasonFleetDeleted,
	}
	e.Message = fmt.Sprintf("Proxy fleet %s: deleted, it serves no Gateway any more", e.Fleet)
	if ns, name := labels[render.LabelOwningGatewayNamespace], labels[render.LabelOwningGatewayName]; ns != "" && name != "" {
		e.Gateways = []string{ns + "/" + name}
	}
	return e
}
