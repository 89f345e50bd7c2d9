package main

import (
	"slices"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

// change is one edit of the world and what a proxy holds once it is served.
type change struct {
	// object is the new version of the object to write.
	object client.Object
	// typeURL is the xDS type that must carry the change; done holds on its
	// resources once it does.
	typeURL string
	done    xdstest.Predicate
}

// Kinds of changes measured.
const (
	kindRoute     = "route"
	kindEndpoints = "endpoints"
	kindSecret    = "secret"
)

var changeKinds = []string{kindRoute, kindEndpoints, kindSecret}

// spread picks the object the k-th change edits among n, far from the
// previous one.
func spread(k, n int) int { return (k * 7919) % n }

// routeChange changes the header value of route i's first rule (version k).
func routeChange(n, k int) change {
	i := spread(k, n)
	host, want := routeHost(i), tenant(i, k)
	return change{
		object:  httpRoute(i, k),
		typeURL: resourcev3.RouteType,
		done: func(res map[string]proto.Message) bool {
			seen := 0
			for _, m := range res {
				if vh := virtualHost(m.(*routev3.RouteConfiguration), host); vh != nil && matchesTenant(vh, want) {
					seen++
				}
			}
			return seen == len(httpPorts)
		},
	}
}

func virtualHost(rc *routev3.RouteConfiguration, host string) *routev3.VirtualHost {
	for _, vh := range rc.GetVirtualHosts() {
		if slices.Contains(vh.GetDomains(), host) {
			return vh
		}
	}
	return nil
}

func matchesTenant(vh *routev3.VirtualHost, tenant string) bool {
	for _, r := range vh.GetRoutes() {
		for _, h := range r.GetMatch().GetHeaders() {
			if h.GetName() == "x-tenant" && h.GetStringMatch().GetExact() == tenant {
				return true
			}
		}
	}
	return false
}

// endpointsChange moves the first endpoint of route i's first Service (version k).
func endpointsChange(n, k int) change {
	i := spread(k, n)
	name, want := clusterName(i, 0), endpointAddress(i, 0, 0, k)
	return change{
		object:  endpointSlice(i, 0, k),
		typeURL: resourcev3.EndpointType,
		done: func(res map[string]proto.Message) bool {
			cla, ok := res[name].(*endpointv3.ClusterLoadAssignment)
			return ok && hasAddress(cla, want)
		},
	}
}

func hasAddress(cla *endpointv3.ClusterLoadAssignment, address string) bool {
	for _, l := range cla.GetEndpoints() {
		for _, e := range l.GetLbEndpoints() {
			if e.GetEndpoint().GetAddress().GetSocketAddress().GetAddress() == address {
				return true
			}
		}
	}
	return false
}

// secretChange replaces the HTTPS listener's certificate with cert.
func secretChange(cert *certificate) change {
	want := string(cert.certPEM)
	return change{
		object:  cert.secret(),
		typeURL: resourcev3.SecretType,
		done: func(res map[string]proto.Message) bool {
			for _, m := range res {
				if m.(*tlsv3.Secret).GetTlsCertificate().GetCertificateChain().GetInlineString() == want {
					return true
				}
			}
			return false
		},
	}
}

// fullConfig holds, per type, when a proxy holds the whole configuration
// of the workload of n routes.
func fullConfig(n int) map[string]xdstest.Predicate {
	return map[string]xdstest.Predicate{
		resourcev3.ListenerType: func(res map[string]proto.Message) bool { return len(res) == len(httpPorts)+1 },
		resourcev3.ClusterType:  func(res map[string]proto.Message) bool { return len(res) == 2*n },
		resourcev3.SecretType:   func(res map[string]proto.Message) bool { return len(res) == 1 },
		resourcev3.RouteType: func(res map[string]proto.Message) bool {
			full := 0
			for _, m := range res {
				if len(m.(*routev3.RouteConfiguration).GetVirtualHosts()) == n {
					full++
				}
			}
			return len(res) == len(httpPorts)+1 && full == len(httpPorts)
		},
		resourcev3.EndpointType: func(res map[string]proto.Message) bool {
			if len(res) != 2*n {
				return false
			}
			for _, m := range res {
				if len(m.(*endpointv3.ClusterLoadAssignment).GetEndpoints()) == 0 {
					return false
				}
			}
			return true
		},
	}
}
