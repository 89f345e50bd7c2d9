package render

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// restrictedPodSpec is a Pod spec with what every Pod rendered here
// shares: the service account without its token, no service links, the
// shutdown bound, and a non-root user with the runtime's default seccomp
// profile; containers and volumes are the caller's.
func restrictedPodSpec(serviceAccount string, containers []corev1.Container, volumes []corev1.Volume) corev1.PodSpec {
	return corev1.PodSpec{
		ServiceAccountName:            serviceAccount,
		AutomountServiceAccountToken:  new(false),
		EnableServiceLinks:            new(false),
		TerminationGracePeriodSeconds: new(TerminationGracePeriodSeconds),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   new(true),
			RunAsUser:      new(EnvoyUID),
			RunAsGroup:     new(EnvoyUID),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: containers,
		Volumes:    volumes,
	}
}

// restrictedContainerSecurity is the security context of every container
// rendered here: no privilege or privilege escalation, a read-only root
// file system and no capabilities.
func restrictedContainerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: new(false),
		Privileged:               new(false),
		ReadOnlyRootFilesystem:   new(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// httpReadinessProbe checks path over plain HTTP on the named container
// port every 5 seconds (1 s timeout, 3 failures make the Pod not ready).
func httpReadinessProbe(path, portName string) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: path, Port: intstr.FromString(portName), Scheme: corev1.URISchemeHTTP,
		}},
		TimeoutSeconds: 1, PeriodSeconds: 5, SuccessThreshold: 1, FailureThreshold: 3,
	}
}
