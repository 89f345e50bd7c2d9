package render

import (
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Pod and container settings of every fleet.
const (
	// EnvoyContainerName is the name of the Envoy container.
	EnvoyContainerName = "envoy"
	// EnvoyUID is the user and group Envoy runs as (the distroless image's "nonroot").
	EnvoyUID int64 = 65532
	// DrainSeconds is how long a terminating Pod keeps serving (preStop
	// sleep) while it is removed from the Service endpoints and load
	// balancers, before Envoy gets SIGTERM. Envoy exits at once on SIGTERM;
	// this delay is what lets traffic move away first.
	DrainSeconds int64 = 15
	// TerminationGracePeriodSeconds bounds the whole shutdown: the preStop
	// drain plus Envoy's exit.
	TerminationGracePeriodSeconds int64 = 30

	podNameEnv       = "ENVOY_POD_NAME"
	readyPortName    = "ready"
	bootstrapVolume  = "bootstrap"
	clientCertVolume = "xds-client-certs"
)

// DefaultResources are the Envoy container's requests when the IR sets none.
var DefaultResources = corev1.ResourceRequirements{
	Requests: corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("100m"),
		corev1.ResourceMemory: resource.MustParse("128Mi"),
	},
}

// deploymentParams are the Deployment inputs computed by Render.
type deploymentParams struct {
	resources     corev1.ResourceRequirements
	bootstrapHash string
}

// deployment runs the fleet's Envoy Pods.
func deployment(p *ir.ProxyInfra, opts Options, params deploymentParams) *appsv1.Deployment {
	selector := SelectorLabels(p.Name)
	podLabels := fleetObjectLabels(p)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: objectMeta(p, opts),
		Spec: appsv1.DeploymentSpec{
			Replicas: new(p.Config.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      podLabels,
					Annotations: withInfraAnnotations(p, map[string]string{AnnotationBootstrapHash: params.bootstrapHash}),
				},
				Spec: podSpec(p, opts, params),
			},
		},
	}
}

func podSpec(p *ir.ProxyInfra, opts Options, params deploymentParams) corev1.PodSpec {
	return restrictedPodSpec(ResourceName(p.Name), []corev1.Container{envoyContainer(p, params)}, []corev1.Volume{
		{
			Name: bootstrapVolume,
			VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: ResourceName(p.Name)},
			}},
		},
		{
			Name: clientCertVolume,
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
				SecretName: opts.ClientCertSecret,
			}},
		},
	})
}

func envoyContainer(p *ir.ProxyInfra, params deploymentParams) corev1.Container {
	return corev1.Container{
		Name:  EnvoyContainerName,
		Image: p.Config.Image,
		Args: []string{
			"--config-path", BootstrapPath,
			"--log-level", p.Config.LogLevel,
			"--service-node", "$(" + podNameEnv + ")",
		},
		Env: []corev1.EnvVar{{
			Name: podNameEnv,
			ValueFrom: &corev1.EnvVarSource{
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"},
			},
		}},
		Ports:          containerPorts(p),
		Resources:      params.resources,
		ReadinessProbe: httpReadinessProbe(ReadyPath, readyPortName),
		Lifecycle: &corev1.Lifecycle{
			PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: DrainSeconds}},
		},
		SecurityContext: restrictedContainerSecurity(),
		VolumeMounts: []corev1.VolumeMount{
			{Name: bootstrapVolume, MountPath: BootstrapDir, ReadOnly: true},
			{Name: clientCertVolume, MountPath: ClientCertDir, ReadOnly: true},
		},
	}
}

// containerPorts are the listeners' container ports, then the readiness port.
func containerPorts(p *ir.ProxyInfra) []corev1.ContainerPort {
	ports := make([]corev1.ContainerPort, 0, len(p.Listeners)+1)
	for _, l := range p.Listeners {
		ports = append(ports, corev1.ContainerPort{
			Name:          l.Name,
			ContainerPort: int32(l.ContainerPort),
			Protocol:      protocol(l),
		})
	}
	return append(ports, corev1.ContainerPort{
		Name:          readyPortName,
		ContainerPort: int32(ReadyPort),
		Protocol:      corev1.ProtocolTCP,
	})
}

// containerResources converts the IR's quantity strings, or returns
// DefaultResources when the IR sets none.
func containerResources(r *ir.Resources) (corev1.ResourceRequirements, error) {
	if r == nil {
		return *DefaultResources.DeepCopy(), nil
	}
	requests, err := resourceList(r.Requests)
	if err != nil {
		return corev1.ResourceRequirements{}, fmt.Errorf("resources.requests: %w", err)
	}
	limits, err := resourceList(r.Limits)
	if err != nil {
		return corev1.ResourceRequirements{}, fmt.Errorf("resources.limits: %w", err)
	}
	return corev1.ResourceRequirements{Requests: requests, Limits: limits}, nil
}

func resourceList(in map[string]string) (corev1.ResourceList, error) {
	if len(in) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make(corev1.ResourceList, len(in))
	for _, name := range names {
		q, err := resource.ParseQuantity(in[name])
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", name, in[name], err)
		}
		out[corev1.ResourceName(name)] = q
	}
	return out, nil
}
