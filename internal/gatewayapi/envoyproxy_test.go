package gatewayapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

func TestProxyConfigDefaults(t *testing.T) {
	want := ir.ProxyConfig{
		ServiceType: string(egv1a1.ServiceTypeLoadBalancer),
		Replicas:    egv1a1.DefaultEnvoyReplicas,
		Image:       egv1a1.DefaultEnvoyImage,
		LogLevel:    string(egv1a1.DefaultProxyLogLevel),
	}
	if diff := cmp.Diff(want, proxyConfig(nil)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestProxyConfigFromEnvoyProxy(t *testing.T) {
	ep := &egv1a1.EnvoyProxy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"},
		Spec: egv1a1.EnvoyProxySpec{
			Logging: &egv1a1.ProxyLogging{Level: egv1a1.LogLevelDebug},
			Provider: &egv1a1.EnvoyProxyProvider{Type: egv1a1.ProviderTypeKubernetes, Kubernetes: &egv1a1.KubernetesProvider{
				EnvoyService: &egv1a1.EnvoyService{Type: new(egv1a1.ServiceTypeClusterIP), Annotations: map[string]string{"a": "b"}},
				EnvoyDeployment: &egv1a1.EnvoyDeployment{Replicas: new(int32(2)), Container: &egv1a1.EnvoyContainer{
					Image:     new("envoy:x"),
					Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}},
				}},
			}},
		},
	}
	want := ir.ProxyConfig{
		EnvoyProxy: "ns/p", ServiceType: "ClusterIP", ServiceAnnotations: map[string]string{"a": "b"},
		Replicas: 2, Image: "envoy:x", LogLevel: "debug",
		Resources: &ir.Resources{Limits: map[string]string{"memory": "1Gi"}},
	}
	if diff := cmp.Diff(want, proxyConfig(ep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := validateEnvoyProxy(ep); err != nil {
		t.Errorf("valid EnvoyProxy rejected: %v", err)
	}
}

func TestValidateEnvoyProxy(t *testing.T) {
	tests := map[string]egv1a1.EnvoyProxySpec{
		"provider type": {Provider: &egv1a1.EnvoyProxyProvider{Type: egv1a1.ProviderTypeFile}},
		"service type": {Provider: &egv1a1.EnvoyProxyProvider{Type: egv1a1.ProviderTypeKubernetes, Kubernetes: &egv1a1.KubernetesProvider{
			EnvoyService: &egv1a1.EnvoyService{Type: new(egv1a1.ServiceType("ExternalName"))}}}},
		"replicas": {Provider: &egv1a1.EnvoyProxyProvider{Type: egv1a1.ProviderTypeKubernetes, Kubernetes: &egv1a1.KubernetesProvider{
			EnvoyDeployment: &egv1a1.EnvoyDeployment{Replicas: new(int32(-1))}}}},
		"image": {Provider: &egv1a1.EnvoyProxyProvider{Type: egv1a1.ProviderTypeKubernetes, Kubernetes: &egv1a1.KubernetesProvider{
			EnvoyDeployment: &egv1a1.EnvoyDeployment{Container: &egv1a1.EnvoyContainer{Image: new("")}}}}},
		"log level": {Logging: &egv1a1.ProxyLogging{Level: "loud"}},
	}
	for name, spec := range tests {
		if err := validateEnvoyProxy(&egv1a1.EnvoyProxy{Spec: spec}); err == nil || err.reason != envoyProxyReasonInvalid {
			t.Errorf("%s: want Invalid, got %v", name, err)
		}
	}
}
