package infra

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// desiredSet records, during one Reconcile, which fleets exist and which
// objects the successfully rendered ones are made of.
type desiredSet struct {
	// fleets are the fleet labels of every fleet that exists.
	fleets map[string]bool
	// renderedFleets are the fleet labels of the fleets rendered this time;
	// only their objects outside objects are deleted.
	renderedFleets map[string]bool
	// objects are "<kind>/<name>" of the rendered objects.
	objects map[string]bool
	// frozenClasses are the owning-gatewayclass label values of frozen
	// GatewayClasses, whose objects are never deleted.
	frozenClasses map[string]bool
}

func newDesiredSet() *desiredSet {
	return &desiredSet{
		fleets:         map[string]bool{},
		renderedFleets: map[string]bool{},
		objects:        map[string]bool{},
		frozenClasses:  map[string]bool{},
	}
}

// freezeClass keeps every object owned by the GatewayClass.
func (d *desiredSet) freezeClass(class string) {
	d.frozenClasses[render.LabelValue(class)] = true
}

// keepFleet marks the fleet as existing: its objects survive even if it
// fails to render.
func (d *desiredSet) keepFleet(fleet string) {
	d.fleets[render.ResourceName(fleet)] = true
}

// rendered records the objects of a successfully rendered fleet.
func (d *desiredSet) rendered(fleet string, objs []render.Object) {
	d.renderedFleets[render.ResourceName(fleet)] = true
	for _, o := range objs {
		d.objects[objectKey(kindOf(o), o.GetName())] = true
	}
}

// keeps reports whether an existing managed object must stay.
func (d *desiredSet) keeps(kind string, obj client.Object) bool {
	fleet := obj.GetLabels()[render.LabelFleet]
	class, owned := obj.GetLabels()[render.LabelOwningGatewayClass]
	switch {
	case owned && d.frozenClasses[class]:
		return true // its class is frozen: leave it running as it is
	case !d.fleets[fleet]:
		return false // its fleet is gone (or it has no fleet label)
	case !d.renderedFleets[fleet]:
		return true // its fleet failed to render: leave it running
	default:
		return d.objects[objectKey(kind, obj.GetName())]
	}
}

func objectKey(kind, name string) string { return kind + "/" + name }
