/*
Copyright 2026 The envoy-gateway Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// KindEnvoyProxy is the kind of the EnvoyProxy resource.
const KindEnvoyProxy = "EnvoyProxy"

// ProviderType names a provider: where resources come from (static config) or
// what runs the Envoy fleet (EnvoyProxy).
type ProviderType string

const (
	// ProviderTypeKubernetes runs the Envoy fleet as Kubernetes workloads.
	ProviderTypeKubernetes ProviderType = "Kubernetes"
	// ProviderTypeFile runs the control plane from local files (static config only).
	ProviderTypeFile ProviderType = "File"
)

// ServiceType is the Kubernetes Service type that exposes the Envoy fleet.
// +kubebuilder:validation:Enum=LoadBalancer;NodePort;ClusterIP
type ServiceType string

const (
	// ServiceTypeLoadBalancer exposes the fleet through a cloud load balancer.
	ServiceTypeLoadBalancer ServiceType = "LoadBalancer"
	// ServiceTypeNodePort exposes the fleet on a port of every node.
	ServiceTypeNodePort ServiceType = "NodePort"
	// ServiceTypeClusterIP exposes the fleet inside the cluster only.
	ServiceTypeClusterIP ServiceType = "ClusterIP"
)

// LogLevel is an Envoy or control-plane log level.
// +kubebuilder:validation:Enum=trace;debug;info;warn;error
type LogLevel string

const (
	// LogLevelTrace logs everything.
	LogLevelTrace LogLevel = "trace"
	// LogLevelDebug logs debugging detail.
	LogLevelDebug LogLevel = "debug"
	// LogLevelInfo logs normal operation.
	LogLevelInfo LogLevel = "info"
	// LogLevelWarn logs warnings and errors.
	LogLevelWarn LogLevel = "warn"
	// LogLevelError logs errors only.
	LogLevelError LogLevel = "error"
)

// EnvoyProxySpec defines the infrastructure parameters of an Envoy proxy fleet.
type EnvoyProxySpec struct {
	// provider selects and configures the infrastructure that runs the fleet.
	// Its defaults are filled in, so that they show in `kubectl get`.
	// +kubebuilder:default={type: Kubernetes}
	// +optional
	Provider *EnvoyProxyProvider `json:"provider,omitempty"`

	// logging sets the log level of the Envoy processes of the fleet.
	// +kubebuilder:default={}
	// +optional
	Logging *ProxyLogging `json:"logging,omitempty"`

	// mergeGateways, when true, serves every Gateway of the GatewayClass that
	// references this EnvoyProxy from one shared fleet. Listener conflicts across
	// the merged Gateways are resolved with the Gateway API conflict rules.
	// +kubebuilder:default=false
	// +optional
	MergeGateways *bool `json:"mergeGateways,omitempty"`
}

// EnvoyProxyProvider selects the infrastructure provider of the fleet.
type EnvoyProxyProvider struct {
	// type is the infrastructure provider. Only Kubernetes is supported.
	// +kubebuilder:validation:Enum=Kubernetes
	// +kubebuilder:default=Kubernetes
	// +required
	Type ProviderType `json:"type"`

	// kubernetes configures the Kubernetes resources of the fleet.
	// +kubebuilder:default={}
	// +optional
	Kubernetes *KubernetesProvider `json:"kubernetes,omitempty"`
}

// KubernetesProvider configures the Kubernetes resources that run the fleet.
type KubernetesProvider struct {
	// envoyService configures the Service that exposes the fleet.
	// +kubebuilder:default={}
	// +optional
	EnvoyService *EnvoyService `json:"envoyService,omitempty"`

	// envoyDeployment configures the Deployment that runs the fleet.
	// +kubebuilder:default={}
	// +optional
	EnvoyDeployment *EnvoyDeployment `json:"envoyDeployment,omitempty"`
}

// EnvoyService configures the Service that exposes the fleet.
type EnvoyService struct {
	// type is the Service type.
	// +kubebuilder:default=LoadBalancer
	// +optional
	Type *ServiceType `json:"type,omitempty"`

	// annotations are added to the Service, for example to configure a cloud load balancer.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// EnvoyDeployment configures the Deployment that runs the fleet.
type EnvoyDeployment struct {
	// replicas is the number of Envoy Pods.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=1
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// container configures the Envoy container.
	// +optional
	Container *EnvoyContainer `json:"container,omitempty"`
}

// EnvoyContainer configures the Envoy container.
type EnvoyContainer struct {
	// image is the Envoy container image.
	// +kubebuilder:validation:MinLength=1
	// +optional
	Image *string `json:"image,omitempty"`

	// resources are the compute resources of the Envoy container.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// ProxyLogging configures Envoy logging.
type ProxyLogging struct {
	// level is the Envoy log level.
	// +kubebuilder:default=warn
	// +optional
	Level LogLevel `json:"level,omitempty"`
}

// EnvoyProxyStatus defines the observed state of EnvoyProxy.
type EnvoyProxyStatus struct {
	// conditions describe whether the EnvoyProxy is accepted by a GatewayClass.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=envoy-gateway,shortName=eproxy
// +kubebuilder:printcolumn:name="Service Type",type=string,JSONPath=`.spec.provider.kubernetes.envoyService.type`
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.spec.provider.kubernetes.envoyDeployment.replicas`
// +kubebuilder:printcolumn:name="Merge Gateways",type=boolean,JSONPath=`.spec.mergeGateways`
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// EnvoyProxy sets the infrastructure parameters of the Envoy fleet of a
// GatewayClass that references it through spec.parametersRef.
type EnvoyProxy struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is a standard object metadata
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec defines the desired state of EnvoyProxy
	// +required
	Spec EnvoyProxySpec `json:"spec"`

	// status defines the observed state of EnvoyProxy
	// +optional
	Status EnvoyProxyStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// EnvoyProxyList contains a list of EnvoyProxy
type EnvoyProxyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []EnvoyProxy `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &EnvoyProxy{}, &EnvoyProxyList{})
		return nil
	})
}
