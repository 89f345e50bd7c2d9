package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// withClusterMetadata gives obj, a workload object, what the same object
// carries in a cluster beyond what the workload writes (the
// -cluster-metadata flag, Kubernetes provider only):
//   - the GatewayClass, Gateway, HTTPRoutes and Services, as applied with
//     kubectl: the last-applied-configuration annotation, the applied
//     object as JSON;
//   - the EndpointSlices as the EndpointSlice controller writes them: its
//     managed-by label, last-change-trigger-time annotation and owner
//     reference to the Service, and per endpoint a Pod reference, a node
//     name and the serving and terminating conditions.
//
// The zone stays unset, so the xDS the server gives is the workload's.
func withClusterMetadata(obj client.Object, scheme *runtime.Scheme) error {
	switch o := obj.(type) {
	case *gwapiv1.GatewayClass, *gwapiv1.Gateway, *gwapiv1.HTTPRoute, *corev1.Service:
		return annotateApplied(obj, scheme)
	case *discoveryv1.EndpointSlice:
		asControllerWrites(o)
	}
	return nil
}

// annotateApplied sets obj's last-applied-configuration annotation, as
// kubectl apply does: the object's type, name, namespace and spec (its
// JSON without status and without the annotation itself).
func annotateApplied(obj client.Object, scheme *runtime.Scheme) error {
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return err
	}
	applied, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return fmt.Errorf("%T is not an object", obj)
	}
	applied.SetAnnotations(nil)
	applied.SetResourceVersion("")
	applied.GetObjectKind().SetGroupVersionKind(gvk)
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(applied)
	if err != nil {
		return err
	}
	delete(raw, "status")
	data, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[corev1.LastAppliedConfigAnnotation] = string(data) + "\n"
	obj.SetAnnotations(a)
	return nil
}

// asControllerWrites adds to s what the EndpointSlice controller writes.
func asControllerWrites(s *discoveryv1.EndpointSlice) {
	service := s.Labels[discoveryv1.LabelServiceName]
	s.Labels[discoveryv1.LabelManagedBy] = "endpointslice-controller.k8s.io"
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations["endpoints.kubernetes.io/last-change-trigger-time"] = time.Now().UTC().Format(time.RFC3339)
	yes, no := true, false
	s.OwnerReferences = []metav1.OwnerReference{{
		APIVersion: "v1", Kind: kindService, Name: service, UID: fakeUID(kindService, s.Namespace, service),
		Controller: &yes, BlockOwnerDeletion: &yes,
	}}
	h := sha256.Sum256([]byte(service))
	node := fmt.Sprintf("node-%d", h[0]%8)
	for i := range s.Endpoints {
		e := &s.Endpoints[i]
		pod := fmt.Sprintf("%s-%x-%d", service, h[:5], i)
		e.TargetRef = &corev1.ObjectReference{
			Kind: "Pod", Namespace: s.Namespace, Name: pod, UID: fakeUID("Pod", s.Namespace, pod),
		}
		e.NodeName = &node
		e.Conditions.Serving, e.Conditions.Terminating = e.Conditions.Ready, &no
	}
}

// fakeUID is a UID of the usual form, the same for the same object.
func fakeUID(kind, namespace, name string) types.UID {
	h := sha256.Sum256([]byte(kind + "/" + namespace + "/" + name))
	return types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16]))
}
