package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Object is a Kubernetes object with metadata (what a controller-runtime
// client.Object is).
type Object interface {
	metav1.Object
	runtime.Object
}

// Objects are the Kubernetes objects of one fleet. Service is nil when the
// fleet has no listeners (a Service needs at least one port).
type Objects struct {
	ServiceAccount *corev1.ServiceAccount
	ConfigMap      *corev1.ConfigMap
	Deployment     *appsv1.Deployment
	Service        *corev1.Service
}

// Items returns the objects in apply order, skipping a nil Service.
func (o *Objects) Items() []Object {
	items := []Object{o.ServiceAccount, o.ConfigMap, o.Deployment}
	if o.Service != nil {
		items = append(items, o.Service)
	}
	return items
}

// Render returns the objects that run the fleet described by infra. It
// fails when the IR or the options are invalid (including a listener on a
// reserved port) or a resource quantity does not parse; nothing is partial.
func Render(infra *ir.Infra, opts Options) (*Objects, error) {
	if err := infra.Validate(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("invalid render options: %w", err)
	}
	p := infra.Proxy
	if err := checkReservedPorts(p); err != nil {
		return nil, err
	}
	if err := checkInfraMetadata(p); err != nil {
		return nil, err
	}
	resources, err := containerResources(p.Config.Resources)
	if err != nil {
		return nil, fmt.Errorf("fleet %q: %w", p.Name, err)
	}
	envoyYAML, err := bootstrapYAML(p, opts)
	if err != nil {
		return nil, err
	}
	return &Objects{
		ServiceAccount: serviceAccount(p, opts),
		ConfigMap:      configMap(p, opts, envoyYAML),
		Deployment: deployment(p, opts, deploymentParams{
			resources:     resources,
			bootstrapHash: contentHash(envoyYAML),
		}),
		Service: service(p, opts),
	}, nil
}

// checkReservedPorts rejects listeners Envoy could not bind next to its
// admin and readiness listeners.
func checkReservedPorts(p *ir.ProxyInfra) error {
	for _, l := range p.Listeners {
		if l.ContainerPort == AdminPort || l.ContainerPort == ReadyPort {
			return fmt.Errorf("fleet %q: listener %q uses container port %d, reserved for Envoy's admin or readiness listener",
				p.Name, l.Name, l.ContainerPort)
		}
		if l.Name == readyPortName {
			return fmt.Errorf("fleet %q: listener name %q is reserved", p.Name, l.Name)
		}
	}
	return nil
}

// checkInfraMetadata rejects infrastructure labels or annotations that
// would replace the ones this package sets (selectors, ownership, hashes).
func checkInfraMetadata(p *ir.ProxyInfra) error {
	for k := range p.Labels {
		if _, ok := FleetLabels(p)[k]; ok {
			return fmt.Errorf("fleet %q: infrastructure label %q is reserved for the fleet's own labels", p.Name, k)
		}
	}
	for k := range p.Annotations {
		if k == AnnotationFleetName || k == AnnotationBootstrapHash {
			return fmt.Errorf("fleet %q: infrastructure annotation %q is reserved", p.Name, k)
		}
	}
	return nil
}

// objectMeta is the metadata shared by every object of the fleet: the
// infrastructure labels and annotations, then this package's own.
func objectMeta(p *ir.ProxyInfra, opts Options) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        ResourceName(p.Name),
		Namespace:   opts.Namespace,
		Labels:      fleetObjectLabels(p),
		Annotations: withInfraAnnotations(p, map[string]string{AnnotationFleetName: p.Name}),
	}
}

// fleetObjectLabels are the infrastructure labels with FleetLabels over them.
func fleetObjectLabels(p *ir.ProxyInfra) map[string]string {
	l := make(map[string]string, len(p.Labels)+8)
	maps.Copy(l, p.Labels)
	maps.Copy(l, FleetLabels(p))
	return l
}

// withInfraAnnotations returns the infrastructure annotations with own over them.
func withInfraAnnotations(p *ir.ProxyInfra, own map[string]string) map[string]string {
	a := make(map[string]string, len(p.Annotations)+len(own))
	maps.Copy(a, p.Annotations)
	maps.Copy(a, own)
	return a
}

// contentHash is a short, stable hash of s.
func contentHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:16]
}
