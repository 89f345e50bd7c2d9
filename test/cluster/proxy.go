package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// serviceProxy plays kube-proxy for the TCP and UDP ports of Services
// (connections, or UDP flows, to a ClusterIP and port go to the Service's
// ready endpoints) and the cloud
// load balancer for LoadBalancer Services: it gives each one an address of
// the Network (see loadBalancerIP for requested ones), listens on that address at each Service port, forwards
// connections to the ready endpoints the same way, and then writes the
// address into status.loadBalancer.ingress. Endpoints come from the
// Service's EndpointSlices, whoever wrote them; connections and UDP flows
// are spread round robin (forward.go, forwardudp.go). SCTP ports are not
// proxied.
type serviceProxy struct {
	client   client.Client
	network  *Network
	log      logr.Logger
	problems *problems

	mu        sync.Mutex
	frontends map[types.NamespacedName]map[frontendKey]forwarder
	lbIPs     map[types.UID]netip.Addr
}

// frontendKey is one address a Service is reached on: a protocol, IP and port.
type frontendKey struct {
	protocol corev1.Protocol
	addr     netip.AddrPort
}

// forwarder is a listening frontend: TCP (frontend) or UDP (udpFrontend).
type forwarder interface {
	setBackends(b []netip.AddrPort)
	close() error
}

// listen binds a frontend of the key's protocol.
func listen(k frontendKey, log logr.Logger) (forwarder, error) {
	if k.protocol == corev1.ProtocolUDP {
		return listenUDPFrontend(k.addr, log)
	}
	return listenFrontend(k.addr, log)
}

// Reconcile brings one Service's listeners, endpoints and load balancer
// status up to date.
func (p *serviceProxy) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var svc corev1.Service
	err := p.client.Get(ctx, req.NamespacedName, &svc)
	if client.IgnoreNotFound(err) != nil {
		return reconcile.Result{}, err
	}
	if err != nil || svc.DeletionTimestamp != nil || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return reconcile.Result{}, p.sync(req.NamespacedName, nil)
	}
	var sliceList discoveryv1.EndpointSliceList
	err = p.client.List(ctx, &sliceList, client.InNamespace(svc.Namespace),
		client.MatchingLabels{discoveryv1.LabelServiceName: svc.Name})
	if err != nil {
		return reconcile.Result{}, err
	}
	lbIP, err := p.loadBalancerIP(&svc)
	if err != nil {
		return reconcile.Result{}, err
	}
	want := p.frontendsOf(&svc, lbIP, sliceList.Items)
	if err := p.sync(req.NamespacedName, want); err != nil {
		p.problems.add(fmt.Errorf("service %s: %w", req.NamespacedName, err))
		p.log.Error(err, "Cannot serve the Service's addresses", "service", req.NamespacedName)
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, p.writeIngress(ctx, &svc, lbIP)
}

// loadBalancerIP returns the load balancer address of a LoadBalancer
// Service, allocating it the first time; the zero Addr for other types.
// A Service requesting an address (spec.loadBalancerIP) gets it when it is
// one of the Network's static addresses and free; otherwise it gets no
// address at all, as a cloud load balancer leaves a Service whose
// requested address it cannot use without ingress.
func (p *serviceProxy) loadBalancerIP(svc *corev1.Service) (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		delete(p.lbIPs, svc.UID)
		return netip.Addr{}, nil
	}
	if req := svc.Spec.LoadBalancerIP; req != "" { //nolint:staticcheck // the field a static address is requested with
		return p.staticIP(svc, req), nil
	}
	if ip, ok := p.lbIPs[svc.UID]; ok && !p.static(ip) {
		return ip, nil
	}
	ip, err := p.network.AllocateLoadBalancerIP()
	if err != nil {
		return netip.Addr{}, err
	}
	p.lbIPs[svc.UID] = ip
	return ip, nil
}

// staticIP reserves the address a Service requests; the zero Addr when it
// cannot have it. p.mu is held.
func (p *serviceProxy) staticIP(svc *corev1.Service, req string) netip.Addr {
	ip, err := netip.ParseAddr(req)
	if err == nil {
		err = p.network.ReserveLoadBalancerIP(ip, string(svc.UID))
	}
	if err != nil {
		p.log.Info("Not assigning the requested load balancer address",
			"service", client.ObjectKeyFromObject(svc), "address", req, "reason", err.Error())
		delete(p.lbIPs, svc.UID)
		return netip.Addr{}
	}
	p.lbIPs[svc.UID] = ip
	return ip
}

// static reports whether ip is a static load balancer address.
func (p *serviceProxy) static(ip netip.Addr) bool {
	return slices.Contains(p.network.StaticLoadBalancerIPs(), ip)
}

// frontendsOf maps each protocol, address and port the Service is reached
// on to the endpoints of that port.
func (p *serviceProxy) frontendsOf(svc *corev1.Service, lbIP netip.Addr,
	sliceList []discoveryv1.EndpointSlice) map[frontendKey][]netip.AddrPort {
	var ips []netip.Addr
	for _, s := range svc.Spec.ClusterIPs {
		if a, err := netip.ParseAddr(s); err == nil && p.network.ServiceCIDR().Contains(a) {
			ips = append(ips, a)
		}
	}
	if lbIP.IsValid() {
		ips = append(ips, lbIP)
	}
	out := map[frontendKey][]netip.AddrPort{}
	for _, sp := range svc.Spec.Ports {
		proto := sp.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		if proto != corev1.ProtocolTCP && proto != corev1.ProtocolUDP {
			continue
		}
		backends := readyBackends(sliceList, sp.Name, proto)
		for _, ip := range ips {
			out[frontendKey{proto, netip.AddrPortFrom(ip, uint16(sp.Port))}] = backends //nolint:gosec // a port
		}
	}
	return out
}

// readyBackends lists the ready endpoints of the slices' port of that
// name and protocol, as address and port.
func readyBackends(list []discoveryv1.EndpointSlice, portName string, proto corev1.Protocol) []netip.AddrPort {
	var out []netip.AddrPort
	for _, s := range list {
		i := slices.IndexFunc(s.Ports, func(p discoveryv1.EndpointPort) bool {
			return ptrString(p.Name) == portName && endpointProtocol(p) == proto && p.Port != nil
		})
		if i < 0 {
			continue
		}
		port := uint16(*s.Ports[i].Port) //nolint:gosec // a port
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, ip := range ep.Addresses {
				if a, err := netip.ParseAddr(ip); err == nil {
					out = append(out, netip.AddrPortFrom(a, port))
				}
			}
		}
	}
	return out
}

// endpointProtocol is an EndpointSlice port's protocol (default TCP).
func endpointProtocol(p discoveryv1.EndpointPort) corev1.Protocol {
	if p.Protocol == nil {
		return corev1.ProtocolTCP
	}
	return *p.Protocol
}

func ptrString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// sync makes the Service's listeners those of want, with want's endpoints.
// A port that cannot be bound is an error naming the address and reason.
func (p *serviceProxy) sync(svc types.NamespacedName, want map[frontendKey][]netip.AddrPort) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	have := p.frontends[svc]
	if have == nil {
		have = map[frontendKey]forwarder{}
	}
	var errs []error
	for k, f := range have {
		if _, ok := want[k]; !ok {
			errs = append(errs, f.close())
			delete(have, k)
		}
	}
	for k, backends := range want {
		f, ok := have[k]
		if !ok {
			var err error
			if f, err = listen(k, p.log.WithValues("service", svc)); err != nil {
				errs = append(errs, fmt.Errorf("listening on %s %s: %w", k.protocol, k.addr, err))
				continue
			}
			have[k] = f
		}
		f.setBackends(backends)
	}
	if len(have) == 0 {
		delete(p.frontends, svc)
	} else {
		p.frontends[svc] = have
	}
	return errors.Join(errs...)
}

// writeIngress writes the load balancer address into the Service's status
// (or clears it when the Service is no longer a LoadBalancer).
func (p *serviceProxy) writeIngress(ctx context.Context, svc *corev1.Service, lbIP netip.Addr) error {
	var want []corev1.LoadBalancerIngress
	if lbIP.IsValid() {
		want = []corev1.LoadBalancerIngress{{IP: lbIP.String(), IPMode: new(corev1.LoadBalancerIPModeVIP)}}
	} else if !slices.ContainsFunc(svc.Status.LoadBalancer.Ingress, p.ours) {
		return nil // not a LoadBalancer, and no address of ours to take back
	}
	if equality.Semantic.DeepEqual(svc.Status.LoadBalancer.Ingress, want) {
		return nil
	}
	svc.Status.LoadBalancer.Ingress = want
	return client.IgnoreNotFound(p.client.Status().Update(ctx, svc))
}

// ours reports whether an ingress address is one this load balancer gave.
func (p *serviceProxy) ours(in corev1.LoadBalancerIngress) bool {
	a, err := netip.ParseAddr(in.IP)
	return err == nil && p.network.Block().Contains(a)
}

// closeAll closes every listener, when the cluster stops.
func (p *serviceProxy) closeAll() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, fs := range p.frontends {
		for _, f := range fs {
			errs = append(errs, f.close())
		}
	}
	p.frontends = map[types.NamespacedName]map[frontendKey]forwarder{}
	return errors.Join(errs...)
}

// serviceOfSlice maps an EndpointSlice to its Service.
func serviceOfSlice(_ context.Context, o client.Object) []reconcile.Request {
	name := o.GetLabels()[discoveryv1.LabelServiceName]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
}
