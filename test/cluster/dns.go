package cluster

import (
	"context"
	"net"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ClusterDomain is the cluster's DNS domain.
const ClusterDomain = "cluster.local"

// Lookup bounds.
const (
	// ndots is the resolv.conf option of Pods: names with fewer dots are
	// tried with the search domains first.
	ndots = 5
	// maxCNAMEs bounds ExternalName chains.
	maxCNAMEs = 8
)

// clusterDNS answers what the cluster DNS (CoreDNS's kubernetes plugin)
// answers for Services, from the API:
//
//   - <service>.<namespace>.svc.cluster.local of a ClusterIP, NodePort or
//     LoadBalancer Service: its ClusterIPs;
//   - of a headless Service: the addresses of its ready endpoints;
//   - of an ExternalName Service: what its externalName resolves to here
//     (a CNAME; names outside the cluster do not resolve, as nothing here
//     reaches a DNS server outside).
//
// Pods see it through their resolv.conf: search domains
// <namespace>.svc.cluster.local, svc.cluster.local, cluster.local with
// ndots:5, so "<service>", "<service>.<namespace>" and
// "<service>.<namespace>.svc" resolve too.
type clusterDNS struct {
	client client.Reader
}

// resolver returns the DNS as the Pods of a namespace see it.
func (d *clusterDNS) resolver(namespace string) Resolver {
	return &podResolver{dns: d, search: []string{
		namespace + ".svc." + ClusterDomain, "svc." + ClusterDomain, ClusterDomain,
	}}
}

// podResolver resolves names with a Pod's search domains.
type podResolver struct {
	dns    *clusterDNS
	search []string
}

// LookupNetIP resolves host to the addresses of network ("ip", "ip4" or
// "ip6"), like net.Resolver.LookupNetIP.
func (r *podResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return filterFamily([]netip.Addr{a}, network, host)
	}
	for _, name := range r.candidates(host) {
		addrs, err := r.dns.lookup(ctx, name, 0)
		if err != nil {
			return nil, &net.DNSError{Err: err.Error(), Name: host, IsTemporary: true}
		}
		if len(addrs) > 0 {
			return filterFamily(addrs, network, host)
		}
	}
	return nil, notFound(host)
}

// candidates lists the names to try, in resolv.conf order.
func (r *podResolver) candidates(host string) []string {
	name := strings.ToLower(host)
	if absolute, ok := strings.CutSuffix(name, "."); ok {
		return []string{absolute}
	}
	searched := make([]string, 0, len(r.search)+1)
	for _, s := range r.search {
		searched = append(searched, name+"."+s)
	}
	if strings.Count(name, ".") >= ndots {
		return append([]string{name}, searched...)
	}
	return append(searched, name)
}

// lookup resolves one fully qualified name; no addresses and no error
// means the name does not exist.
func (d *clusterDNS) lookup(ctx context.Context, name string, depth int) ([]netip.Addr, error) {
	rest, ok := strings.CutSuffix(name, ".svc."+ClusterDomain)
	if !ok || depth > maxCNAMEs {
		return nil, nil
	}
	svcName, ns, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(ns, ".") {
		return nil, nil
	}
	var svc corev1.Service
	if err := d.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: svcName}, &svc); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	switch {
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		target := strings.TrimSuffix(strings.ToLower(svc.Spec.ExternalName), ".")
		return d.lookup(ctx, target, depth+1)
	case svc.Spec.ClusterIP == corev1.ClusterIPNone:
		return d.readyEndpoints(ctx, &svc)
	}
	var out []netip.Addr
	for _, ip := range svc.Spec.ClusterIPs {
		if a, err := netip.ParseAddr(ip); err == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// readyEndpoints lists the ready endpoint addresses of a Service.
func (d *clusterDNS) readyEndpoints(ctx context.Context, svc *corev1.Service) ([]netip.Addr, error) {
	var list discoveryv1.EndpointSliceList
	err := d.client.List(ctx, &list, client.InNamespace(svc.Namespace),
		client.MatchingLabels{discoveryv1.LabelServiceName: svc.Name})
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, s := range list.Items {
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, ip := range ep.Addresses {
				if a, err := netip.ParseAddr(ip); err == nil {
					out = append(out, a)
				}
			}
		}
	}
	return out, nil
}

// filterFamily keeps the addresses of network.
func filterFamily(addrs []netip.Addr, network, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range addrs {
		if network == "ip" || (network == "ip4" && a.Is4()) || (network == "ip6" && a.Is6()) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, notFound(host)
	}
	return out, nil
}

// notFound is the error of a name that does not resolve.
func notFound(host string) error {
	return &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}
