package cluster

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// testPod is a Pod with an IP, a readiness and a named port.
func testPod(name, ip string, ready bool, portName string, port int32) corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: "uid-" + "name"},
		Spec: corev1.PodSpec{NodeName: NodeName, Containers: []corev1.Container{{
			Name: "c", Ports: []corev1.ContainerPort{{Name: portName, ContainerPort: port}},
		}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}},
		},
	}
}

func TestDesiredSlices(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "svc-uid", Labels: map[string]string{"team": "a"}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("web")},
				{Name: "admin", Port: 9000, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(9001)},
			},
		},
	}
	terminating := testPod("c-term", "198.18.4.3", true, "web", 8080)
	terminating.DeletionTimestamp = new(metav1.Now())
	done := testPod("d-done", "198.18.4.4", false, "web", 8080)
	done.Status.Phase = corev1.PodSucceeded
	pods := []corev1.Pod{
		testPod("b-other-port", "198.18.4.2", true, "web", 3000),
		testPod("a-ready", "198.18.4.1", true, "web", 8080),
		terminating, done,
		testPod("e-unnamed", "198.18.4.5", false, "other", 8080),
	}
	got := desiredSlices(svc, pods)
	type summary struct {
		Ports     map[string]int32
		Endpoints map[string][3]bool // ready, serving, terminating
	}
	sums := make([]summary, 0, len(got))
	for _, s := range got {
		if s.AddressType != discoveryv1.AddressTypeIPv4 || s.GenerateName != "web-" || s.Labels["team"] != "a" ||
			s.Labels[discoveryv1.LabelServiceName] != "web" || s.Labels[discoveryv1.LabelManagedBy] != EndpointSliceManager ||
			s.OwnerReferences[0].UID != "svc-uid" {
			t.Errorf("slice metadata: %+v %s", s.ObjectMeta, s.AddressType)
		}
		sum := summary{Ports: map[string]int32{}, Endpoints: map[string][3]bool{}}
		for _, p := range s.Ports {
			sum.Ports[*p.Name] = *p.Port
		}
		for _, e := range s.Endpoints {
			c := e.Conditions
			sum.Endpoints[e.Addresses[0]] = [3]bool{*c.Ready, *c.Serving, *c.Terminating}
			if *e.NodeName != NodeName || e.TargetRef.Kind != "Pod" {
				t.Errorf("endpoint %+v", e)
			}
		}
		sums = append(sums, sum)
	}
	want := []summary{
		{Ports: map[string]int32{"http": 8080, "admin": 9001}, Endpoints: map[string][3]bool{
			"198.18.4.1": {true, true, false}, "198.18.4.3": {false, true, true},
		}},
		{Ports: map[string]int32{"http": 3000, "admin": 9001}, Endpoints: map[string][3]bool{"198.18.4.2": {true, true, false}}},
		{Ports: map[string]int32{"admin": 9001}, Endpoints: map[string][3]bool{"198.18.4.5": {false, false, false}}},
	}
	if d := cmp.Diff(want, sums); d != "" {
		t.Errorf("slices (-want +got):\n%s", d)
	}
}

func TestDesiredSlicesPlaceholderAndHeadless(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "headless"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "x"},
			Ports: []corev1.ServicePort{{Name: "p", Port: 80, Protocol: corev1.ProtocolTCP}}},
	}
	got := desiredSlices(svc, nil)
	if len(got) != 1 || len(got[0].Endpoints) != 0 || got[0].AddressType != discoveryv1.AddressTypeIPv4 {
		t.Fatalf("placeholder: %+v", got)
	}
	if _, ok := got[0].Labels[corev1.IsHeadlessService]; !ok {
		t.Errorf("headless label missing: %v", got[0].Labels)
	}
	got = desiredSlices(svc, []corev1.Pod{testPod("p", "198.18.4.9", true, "", 0)})
	if len(got) != 1 || *got[0].Ports[0].Port != 80 {
		t.Errorf("a target port defaults to the port: %+v", got)
	}
}

func TestNamespaceInScope(t *testing.T) {
	patterns := []string{"gateway-conformance-*", "envoy-gateway-system"}
	for ns, want := range map[string]bool{
		"gateway-conformance-infra": true, "envoy-gateway-system": true,
		"envoy-gateway-system-2": false, "default": false, "gateway-conformance": false,
	} {
		if got := namespaceInScope(ns, patterns); got != want {
			t.Errorf("namespaceInScope(%q) = %t, want %t", ns, got, want)
		}
	}
	if !namespaceInScope("anything", nil) {
		t.Error("no patterns: every namespace is in scope")
	}
}
