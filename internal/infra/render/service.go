package render

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// service exposes the fleet's listeners: one port per listener, its Gateway
// port forwarded to the container port Envoy binds. The type and the
// annotations come from the IR. It is nil when there is no listener.
func service(p *ir.ProxyInfra, opts Options) *corev1.Service {
	if len(p.Listeners) == 0 {
		return nil
	}
	meta := objectMeta(p, opts)
	maps.Copy(meta.Annotations, p.Config.ServiceAnnotations)
	meta.Annotations[AnnotationFleetName] = p.Name
	ports := make([]corev1.ServicePort, 0, len(p.Listeners))
	for _, l := range p.Listeners {
		ports = append(ports, corev1.ServicePort{
			Name:       l.Name,
			Protocol:   protocol(l),
			Port:       int32(l.Port),
			TargetPort: intstr.FromInt32(int32(l.ContainerPort)),
		})
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta,
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceType(p.Config.ServiceType),
			Selector: SelectorLabels(p.Name),
			Ports:    ports,
		},
	}
	if len(p.Addresses) == 1 && svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		// The one field of a Service that requests a load balancer address;
		// deprecated for lack of a portable successor, still honored by
		// load balancers that support static addresses.
		svc.Spec.LoadBalancerIP = p.Addresses[0]
	}
	return svc
}

// protocol is the listener's transport protocol, TCP when unset.
func protocol(l *ir.ProxyListener) corev1.Protocol {
	if l.Protocol == "" {
		return corev1.ProtocolTCP
	}
	return corev1.Protocol(l.Protocol)
}
