package infra

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// Observer computes the InfraState of every fleet from its Deployment and
// Service in Namespace. The provider calls States, with its reader (a cache
// watching the fleets' objects, see Selector and Owns), whenever one of them
// changes, and puts the result into its snapshots' InfraStates.
type Observer struct {
	// Namespace is where the fleets' objects live (the Manager's namespace).
	Namespace string
}

// Selector selects the Deployments and Services of every fleet, to restrict
// the provider's watches (and cache) to them.
func Selector() labels.Selector {
	return labels.SelectorFromSet(render.ManagedLabels())
}

// Owns reports whether obj is an object of a fleet managed here: in the
// observer's namespace and carrying the managed labels. Use it as a watch
// predicate.
func (o Observer) Owns(obj client.Object) bool {
	return obj.GetNamespace() == o.Namespace && Selector().Matches(labels.Set(obj.GetLabels()))
}

// States returns the InfraState of every fleet that has a Deployment or a
// Service, read from r, keyed by fleet name (ir.ProxyInfra.Name, from the
// render.AnnotationFleetName annotation).
func (o Observer) States(ctx context.Context, r client.Reader) (map[string]bus.InfraState, error) {
	opts := []client.ListOption{client.InNamespace(o.Namespace), client.MatchingLabels(render.ManagedLabels())}
	var deployments appsv1.DeploymentList
	if err := r.List(ctx, &deployments, opts...); err != nil {
		return nil, fmt.Errorf("listing fleet deployments: %w", err)
	}
	var services corev1.ServiceList
	if err := r.List(ctx, &services, opts...); err != nil {
		return nil, fmt.Errorf("listing fleet services: %w", err)
	}
	byFleet := map[string]*fleetObjects{}
	get := func(name string) *fleetObjects {
		if byFleet[name] == nil {
			byFleet[name] = &fleetObjects{}
		}
		return byFleet[name]
	}
	for i := range deployments.Items {
		if name := FleetName(&deployments.Items[i]); name != "" {
			get(name).deployment = &deployments.Items[i]
		}
	}
	for i := range services.Items {
		if name := FleetName(&services.Items[i]); name != "" {
			get(name).service = &services.Items[i]
		}
	}
	states := make(map[string]bus.InfraState, len(byFleet))
	for name, objs := range byFleet {
		states[name] = State(objs.deployment, objs.service)
	}
	return states, nil
}

type fleetObjects struct {
	deployment *appsv1.Deployment
	service    *corev1.Service
}

// FleetName returns the fleet an object belongs to, or "" when it is not a
// fleet object.
func FleetName(obj client.Object) string {
	return obj.GetAnnotations()[render.AnnotationFleetName]
}

// State computes a fleet's InfraState: Ready when the Deployment has at
// least one available replica; Addresses are the Service's load balancer
// ingress IPs and hostnames, or, when there is none (not a LoadBalancer, or
// one not provisioned yet), its cluster IPs. Either object may be nil.
func State(d *appsv1.Deployment, s *corev1.Service) bus.InfraState {
	return bus.InfraState{
		Ready:     d != nil && d.Status.AvailableReplicas >= 1,
		Addresses: serviceAddresses(s),
	}
}

func serviceAddresses(s *corev1.Service) []bus.Address {
	if s == nil {
		return nil
	}
	var out []bus.Address
	for _, in := range s.Status.LoadBalancer.Ingress {
		switch {
		case in.IP != "":
			out = append(out, bus.Address{Type: bus.AddressTypeIP, Value: in.IP})
		case in.Hostname != "":
			out = append(out, bus.Address{Type: bus.AddressTypeHostname, Value: in.Hostname})
		}
	}
	if len(out) > 0 {
		return out
	}
	ips := s.Spec.ClusterIPs
	if len(ips) == 0 && s.Spec.ClusterIP != "" {
		ips = []string{s.Spec.ClusterIP}
	}
	for _, ip := range ips {
		if ip != "" && ip != corev1.ClusterIPNone {
			out = append(out, bus.Address{Type: bus.AddressTypeIP, Value: ip})
		}
	}
	return out
}
