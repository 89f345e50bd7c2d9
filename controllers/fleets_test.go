package controllers

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestCacheKeepsNoManagedFields checks that the provider's cache stores
// objects without their managedFields, and keeps the rest of them.
func TestCacheKeepsNoManagedFields(t *testing.T) {
	for _, opts := range []*FleetOptions{nil, {Namespace: "eg", Selector: labels.Everything()}} {
		o := fleetCacheOptions(opts, (&cacheTransform{}).transform)
		if o.DefaultTransform == nil {
			t.Fatalf("fleet options %v: no transform", opts)
		}
		route := &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{
			Name: "web", Namespace: "ns", Generation: 3, Labels: map[string]string{"app": "web"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate}},
		}}
		out, err := o.DefaultTransform(route)
		if err != nil {
			t.Fatal(err)
		}
		got := out.(*gwapiv1.HTTPRoute)
		if got.ManagedFields != nil {
			t.Errorf("fleet options %v: managedFields kept: %v", opts, got.ManagedFields)
		}
		if got.Name != "web" || got.Generation != 3 || got.Labels["app"] != "web" {
			t.Errorf("fleet options %v: the rest of the object changed: %+v", opts, got.ObjectMeta)
		}
		if want := map[bool]int{false: 0, true: 1}[opts != nil]; len(o.ByObject) != want {
			t.Errorf("fleet options %v: %d objects restricted, want %d (the Deployments)", opts, len(o.ByObject), want)
		}
		for obj := range o.ByObject {
			if _, ok := obj.(*appsv1.Deployment); !ok {
				t.Errorf("fleet options %v: %T restricted, want only Deployments", opts, obj)
			}
		}
	}
}
