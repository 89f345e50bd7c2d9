package cluster

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// EndpointSliceManager is the managed-by label value of the slices the
// stand-in writes: the endpoint slice controller's own.
const EndpointSliceManager = "endpointslice-controller.k8s.io"

// maxEndpointsPerSlice is the controller's default --max-endpoints-per-slice.
const maxEndpointsPerSlice = 100

// endpointSlices plays the endpoint slice controller: for every Service
// with a selector it keeps EndpointSlices listing the selected Pods that
// have an IP, one slice per address type and set of resolved ports (named
// target ports are looked up in each Pod), with ready, serving and
// terminating conditions, the Node and the Pod reference; labelled with
// the Service's labels, kubernetes.io/service-name, the managed-by label
// and, for headless Services, service.kubernetes.io/headless; owned by the
// Service. Slices of Services without a selector are left to their authors.
type endpointSlices struct {
	client client.Client
	// reader lists slices from the API itself: the cache may not show a
	// slice just created yet, and a second one would be created.
	reader client.Reader
}

// Reconcile brings the slices of one Service up to date.
func (e *endpointSlices) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var svc corev1.Service
	err := e.client.Get(ctx, req.NamespacedName, &svc)
	if client.IgnoreNotFound(err) != nil {
		return reconcile.Result{}, err
	}
	var want []discoveryv1.EndpointSlice
	if err == nil && svc.DeletionTimestamp == nil && len(svc.Spec.Selector) > 0 &&
		svc.Spec.Type != corev1.ServiceTypeExternalName {
		var pods corev1.PodList
		sel := client.MatchingLabelsSelector{Selector: labels.SelectorFromSet(svc.Spec.Selector)}
		if err := e.client.List(ctx, &pods, client.InNamespace(svc.Namespace), sel); err != nil {
			return reconcile.Result{}, err
		}
		want = desiredSlices(&svc, pods.Items)
	}
	return requeueOnConflict(e.apply(ctx, req.NamespacedName, want))
}

// apply makes the managed slices of a Service equal want, reusing
// existing slices of the same address type.
func (e *endpointSlices) apply(ctx context.Context, svc types.NamespacedName, want []discoveryv1.EndpointSlice) error {
	var list discoveryv1.EndpointSliceList
	err := e.reader.List(ctx, &list, client.InNamespace(svc.Namespace),
		client.MatchingLabels{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: EndpointSliceManager})
	if err != nil {
		return err
	}
	existing := list.Items
	slices.SortFunc(existing, func(a, b discoveryv1.EndpointSlice) int { return strings.Compare(a.Name, b.Name) })
	for i := range want {
		j := slices.IndexFunc(existing, func(s discoveryv1.EndpointSlice) bool {
			return s.AddressType == want[i].AddressType
		})
		if j < 0 {
			if err := e.client.Create(ctx, &want[i]); err != nil {
				return fmt.Errorf("creating an EndpointSlice of Service %s: %w", svc, err)
			}
			continue
		}
		cur := existing[j]
		existing = slices.Delete(existing, j, j+1)
		if equality.Semantic.DeepEqual(cur.Endpoints, want[i].Endpoints) &&
			equality.Semantic.DeepEqual(cur.Ports, want[i].Ports) && equality.Semantic.DeepEqual(cur.Labels, want[i].Labels) {
			continue
		}
		cur.Labels, cur.Endpoints, cur.Ports = want[i].Labels, want[i].Endpoints, want[i].Ports
		if err := e.client.Update(ctx, &cur); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("updating EndpointSlice %s/%s: %w", cur.Namespace, cur.Name, err)
		}
	}
	for i := range existing {
		if err := e.client.Delete(ctx, &existing[i]); client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	return nil
}

// desiredSlices computes the slices of a Service from its Pods.
func desiredSlices(svc *corev1.Service, pods []corev1.Pod) []discoveryv1.EndpointSlice {
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	type group struct {
		addressType discoveryv1.AddressType
		ports       []discoveryv1.EndpointPort
		endpoints   []discoveryv1.Endpoint
	}
	var groups []*group
	for i := range pods {
		pod := &pods[i]
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		ports := resolvePorts(svc, pod)
		for _, ip := range pod.Status.PodIPs {
			at := addressType(ip.IP)
			if !serviceHasFamily(svc, at) {
				continue
			}
			idx := slices.IndexFunc(groups, func(g *group) bool {
				return g.addressType == at && equality.Semantic.DeepEqual(g.ports, ports) && len(g.endpoints) < maxEndpointsPerSlice
			})
			if idx < 0 {
				groups = append(groups, &group{addressType: at, ports: ports})
				idx = len(groups) - 1
			}
			groups[idx].endpoints = append(groups[idx].endpoints, endpointOf(pod, ip.IP))
		}
	}
	if len(groups) == 0 { // the controller keeps a placeholder slice without endpoints
		groups = append(groups, &group{addressType: discoveryv1.AddressTypeIPv4})
		if len(svc.Spec.IPFamilies) > 0 {
			groups[0].addressType = discoveryv1.AddressType(svc.Spec.IPFamilies[0])
		}
	}
	out := make([]discoveryv1.EndpointSlice, 0, len(groups))
	for _, g := range groups {
		out = append(out, newSlice(svc, g.addressType, g.ports, g.endpoints))
	}
	return out
}

// newSlice builds one slice of a Service.
func newSlice(svc *corev1.Service, at discoveryv1.AddressType, ports []discoveryv1.EndpointPort,
	endpoints []discoveryv1.Endpoint) discoveryv1.EndpointSlice {
	lbls := maps.Clone(svc.Labels)
	if lbls == nil {
		lbls = map[string]string{}
	}
	lbls[discoveryv1.LabelServiceName] = svc.Name
	lbls[discoveryv1.LabelManagedBy] = EndpointSliceManager
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		lbls[corev1.IsHeadlessService] = ""
	}
	return discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: svc.Name + "-",
			Namespace:    svc.Namespace,
			Labels:       lbls,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID,
				Controller: new(true), BlockOwnerDeletion: new(true),
			}},
		},
		AddressType: at,
		Endpoints:   endpoints,
		Ports:       ports,
	}
}

// endpointOf is a Pod's endpoint.
func endpointOf(pod *corev1.Pod, ip string) discoveryv1.Endpoint {
	terminating := pod.DeletionTimestamp != nil
	serving := podReady(pod)
	ep := discoveryv1.Endpoint{
		Addresses: []string{ip},
		Conditions: discoveryv1.EndpointConditions{
			Ready: new(serving && !terminating), Serving: new(serving), Terminating: new(terminating),
		},
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
	}
	if pod.Spec.NodeName != "" {
		ep.NodeName = new(pod.Spec.NodeName)
	}
	return ep
}

// resolvePorts resolves the Service's ports for one Pod: a named target
// port is the Pod's container port of that name and protocol; a port that
// does not resolve is left out, as the controller does.
func resolvePorts(svc *corev1.Service, pod *corev1.Pod) []discoveryv1.EndpointPort {
	var out []discoveryv1.EndpointPort
	for _, sp := range svc.Spec.Ports {
		port, ok := targetPort(pod, sp)
		if !ok {
			continue
		}
		out = append(out, discoveryv1.EndpointPort{
			Name: new(sp.Name), Protocol: new(sp.Protocol), Port: new(port), AppProtocol: sp.AppProtocol,
		})
	}
	return out
}

// targetPort resolves a Service port's target port in a Pod.
func targetPort(pod *corev1.Pod, sp corev1.ServicePort) (int32, bool) {
	tp := sp.TargetPort
	switch {
	case tp.StrVal == "" && tp.IntVal == 0:
		return sp.Port, true
	case tp.StrVal == "":
		return tp.IntVal, true
	}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			proto := p.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			if p.Name == tp.StrVal && proto == sp.Protocol {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}

// addressType is the slice address type of an IP.
func addressType(ip string) discoveryv1.AddressType {
	if strings.Contains(ip, ":") {
		return discoveryv1.AddressTypeIPv6
	}
	return discoveryv1.AddressTypeIPv4
}

// serviceHasFamily reports whether the Service serves an address type
// (IPv4 when it lists no families).
func serviceHasFamily(svc *corev1.Service, at discoveryv1.AddressType) bool {
	if len(svc.Spec.IPFamilies) == 0 {
		return at == discoveryv1.AddressTypeIPv4
	}
	return slices.Contains(svc.Spec.IPFamilies, corev1.IPFamily(at))
}

// servicesSelecting maps a Pod to the Services of its namespace whose
// selector matches it.
func servicesSelecting(ctx context.Context, c client.Client, pod client.Object) []reconcile.Request {
	var list corev1.ServiceList
	if err := c.List(ctx, &list, client.InNamespace(pod.GetNamespace())); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, svc := range list.Items {
		if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.GetLabels())) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&svc)})
		}
	}
	return out
}
