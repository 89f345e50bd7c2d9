package v1alpha1

import corev1 "k8s.io/api/core/v1"

// DefaultEnvoyImage is the Envoy image a fleet runs unless EnvoyProxy names another.
const DefaultEnvoyImage = "docker.io/envoyproxy/envoy:distroless-v1.36.2"

// DefaultEnvoyReplicas is the number of Envoy Pods a fleet runs unless EnvoyProxy says otherwise.
const DefaultEnvoyReplicas int32 = 1

// DefaultProxyLogLevel is the Envoy log level unless EnvoyProxy says otherwise.
const DefaultProxyLogLevel = LogLevelWarn

// IsMergeGateways reports whether all Gateways of the class share one fleet.
// A nil EnvoyProxy means the defaults: one fleet per Gateway.
func (e *EnvoyProxy) IsMergeGateways() bool {
	return e != nil && e.Spec.MergeGateways != nil && *e.Spec.MergeGateways
}

// ServiceType returns the Service type of the fleet, LoadBalancer by default.
func (e *EnvoyProxy) ServiceType() ServiceType {
	if svc := e.envoyService(); svc != nil && svc.Type != nil {
		return *svc.Type
	}
	return ServiceTypeLoadBalancer
}

// ServiceAnnotations returns the annotations for the fleet's Service, or nil.
func (e *EnvoyProxy) ServiceAnnotations() map[string]string {
	if svc := e.envoyService(); svc != nil {
		return svc.Annotations
	}
	return nil
}

// Replicas returns the number of Envoy Pods, DefaultEnvoyReplicas by default.
func (e *EnvoyProxy) Replicas() int32 {
	if d := e.envoyDeployment(); d != nil && d.Replicas != nil {
		return *d.Replicas
	}
	return DefaultEnvoyReplicas
}

// Image returns the Envoy image, DefaultEnvoyImage by default.
func (e *EnvoyProxy) Image() string {
	if d := e.envoyDeployment(); d != nil && d.Container != nil && d.Container.Image != nil {
		return *d.Container.Image
	}
	return DefaultEnvoyImage
}

// Resources returns the Envoy container's compute resources, or nil.
func (e *EnvoyProxy) Resources() *corev1.ResourceRequirements {
	if d := e.envoyDeployment(); d != nil && d.Container != nil {
		return d.Container.Resources
	}
	return nil
}

// LogLevel returns the Envoy log level, DefaultProxyLogLevel by default.
func (e *EnvoyProxy) LogLevel() LogLevel {
	if e != nil && e.Spec.Logging != nil && e.Spec.Logging.Level != "" {
		return e.Spec.Logging.Level
	}
	return DefaultProxyLogLevel
}

func (e *EnvoyProxy) kubernetes() *KubernetesProvider {
	if e == nil || e.Spec.Provider == nil {
		return nil
	}
	return e.Spec.Provider.Kubernetes
}

func (e *EnvoyProxy) envoyService() *EnvoyService {
	if k := e.kubernetes(); k != nil {
		return k.EnvoyService
	}
	return nil
}

func (e *EnvoyProxy) envoyDeployment() *EnvoyDeployment {
	if k := e.kubernetes(); k != nil {
		return k.EnvoyDeployment
	}
	return nil
}
