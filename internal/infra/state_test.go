package infra_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra"
)

func TestState(t *testing.T) {
	available := &appsv1.Deployment{Status: appsv1.DeploymentStatus{AvailableReplicas: 2}}
	unavailable := &appsv1.Deployment{Status: appsv1.DeploymentStatus{Replicas: 1}}
	ip := func(v string) bus.Address { return bus.Address{Type: bus.AddressTypeIP, Value: v} }
	tests := []struct {
		name string
		d    *appsv1.Deployment
		s    *corev1.Service
		want bus.InfraState
	}{
		{name: "nothing", want: bus.InfraState{}},
		{name: "deployment only", d: available, want: bus.InfraState{Ready: true}},
		{name: "no available replica", d: unavailable, s: &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1"}},
			want: bus.InfraState{Addresses: []bus.Address{ip("10.0.0.1")}}},
		{
			name: "dual-stack cluster IPs",
			d:    available,
			s:    &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1", ClusterIPs: []string{"10.0.0.1", "fd00::1"}}},
			want: bus.InfraState{Ready: true, Addresses: []bus.Address{ip("10.0.0.1"), ip("fd00::1")}},
		},
		{
			name: "pending load balancer falls back to the cluster IP",
			d:    available,
			s:    &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.1"}},
			want: bus.InfraState{Ready: true, Addresses: []bus.Address{ip("10.0.0.1")}},
		},
		{
			name: "load balancer ingress wins",
			d:    available,
			s: &corev1.Service{
				Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.1"},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
					{Hostname: "lb.example.com"}, {IP: "203.0.113.1", Hostname: "ignored.example.com"}, {},
				}}},
			},
			want: bus.InfraState{Ready: true, Addresses: []bus.Address{
				{Type: bus.AddressTypeHostname, Value: "lb.example.com"}, ip("203.0.113.1"),
			}},
		},
		{name: "headless", s: &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}}, want: bus.InfraState{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, infra.State(tt.d, tt.s)); diff != "" {
				t.Errorf("State (-want +got):\n%s", diff)
			}
		})
	}
}
