package controlplane_test

import (
	"slices"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

// endpointAddresses returns the sorted endpoint addresses of a cluster the client holds.
func endpointAddresses(c *xdstest.Client, cluster string) func() []string {
	return func() []string {
		cla, ok := c.Resources(resourcev3.EndpointType)[cluster].(*endpointv3.ClusterLoadAssignment)
		if !ok {
			return nil
		}
		var out []string
		for _, l := range cla.GetEndpoints() {
			for _, e := range l.GetLbEndpoints() {
				out = append(out, e.GetEndpoint().GetAddress().GetSocketAddress().GetAddress())
			}
		}
		slices.Sort(out)
		return out
	}
}

// routeNames returns the names of every route of a route configuration.
func routeNames(c *xdstest.Client, config string) func() []string {
	return func() []string {
		rc := c.RouteConfiguration(config)
		var out []string
		for _, vh := range rc.GetVirtualHosts() {
			for _, r := range vh.GetRoutes() {
				out = append(out, r.GetName())
			}
		}
		return out
	}
}

// servedCertificate returns the PEM certificate chain of an SDS secret.
func servedCertificate(c *xdstest.Client, name string) func() string {
	return func() string {
		s, ok := c.Resources(resourcev3.SecretType)[name].(*tlsv3.Secret)
		if !ok {
			return ""
		}
		return s.GetTlsCertificate().GetCertificateChain().GetInlineString()
	}
}

// allResources returns every resource the client holds, by type and name.
func allResources(c *xdstest.Client) map[string]map[string]proto.Message {
	out := map[string]map[string]proto.Message{}
	for _, t := range xdstest.Types {
		out[t] = c.Resources(t)
	}
	return out
}

func sameResources(a, b map[string]map[string]proto.Message) bool {
	for t := range a {
		if len(a[t]) != len(b[t]) {
			return false
		}
		for name, m := range a[t] {
			if !proto.Equal(m, b[t][name]) {
				return false
			}
		}
	}
	return len(a) == len(b)
}

var _ = Describe("Kubernetes provider xDS", Ordered, func() {
	const (
		ns    = "xds-test"
		class = "xds-test"
		fleet = ns + "/gw"
	)
	var (
		cp     *runningControlPlane
		envoy  *xdstest.Client
		httpRC = "route/0.0.0.0/10080"
	)

	BeforeAll(func() {
		ensureNamespace("envoy-gateway-system")
		ensureNamespace(ns)
		cp = startControlPlane()
		DeferCleanup(func() { cp.stop() })
		Expect(k8sClient.Create(ctx, newGatewayClass(class))).To(Succeed())
		Expect(k8sClient.Create(ctx, tlsSecret(ns))).To(Succeed())
		Expect(k8sClient.Create(ctx, &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: class,
				Listeners: []gwapiv1.Listener{
					{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 80},
					{
						Name: "https", Protocol: gwapiv1.HTTPSProtocolType, Port: 443,
						TLS: &gwapiv1.ListenerTLSConfig{CertificateRefs: []gwapiv1.SecretObjectReference{{Name: "www-cert"}}},
					},
				},
			},
		})).To(Succeed())
		var err error
		envoy, err = xdstest.Dial(cp.xdsAddr, fleet, insecure.NewCredentials())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { envoy.Close() })
	})

	It("serves the listener, route, cluster and endpoints of an attached HTTPRoute", func() {
		Expect(k8sClient.Create(ctx, backendService(ns, "web", 8080))).To(Succeed())
		Expect(k8sClient.Create(ctx, webEndpointSlice(ns, "10.1.0.1", "10.1.0.2"))).To(Succeed())
		Expect(k8sClient.Create(ctx, httpRoute(ns, "web", nil, "web", 8080))).To(Succeed())

		Eventually(func() []string { return envoy.Names(resourcev3.ListenerType) }).Should(
			ConsistOf("listener/0.0.0.0/10080", "listener/0.0.0.0/10443"))
		Eventually(routeNames(envoy, httpRC)).Should(ContainElement(HavePrefix("httproute/" + ns + "/web/rule/0")))
		Eventually(func() []string { return envoy.Names(resourcev3.ClusterType) }).Should(ContainElement("service/" + ns + "/web/8080"))
		Eventually(endpointAddresses(envoy, "service/"+ns+"/web/8080")).Should(Equal([]string{"10.1.0.1", "10.1.0.2"}))
		Eventually(func() []string { return envoy.Names(resourcev3.SecretType) }).Should(ConsistOf(ns + "/www-cert"))
	})

	It("pushes a new route version when the HTTPRoute changes", func() {
		before := envoy.Version(resourcev3.RouteType)
		route := &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
		update(route, func() {
			route.Spec.Rules = append(route.Spec.Rules, gwapiv1.HTTPRouteRule{
				Matches: []gwapiv1.HTTPRouteMatch{{Path: &gwapiv1.HTTPPathMatch{Type: new(gwapiv1.PathMatchExact), Value: new("/healthz")}}},
				Filters: []gwapiv1.HTTPRouteFilter{{
					Type:            gwapiv1.HTTPRouteFilterRequestRedirect,
					RequestRedirect: &gwapiv1.HTTPRequestRedirectFilter{StatusCode: new(302), Hostname: ptr.To(gwapiv1.PreciseHostname("status.example.com"))},
				}},
			})
		})
		Eventually(routeNames(envoy, httpRC)).Should(ContainElement(HavePrefix("httproute/" + ns + "/web/rule/1")))
		Expect(envoy.Version(resourcev3.RouteType)).NotTo(Equal(before))
	})

	It("updates endpoints without touching routes or listeners when an EndpointSlice changes", func() {
		// The counts below must only move because of this spec's change. The
		// previous specs' changes are served (counted before being served);
		// the only other source of snapshots, the fleet's objects, changes
		// once, when the infra manager creates them: once the Gateway's
		// address shows the fleet's Service, that snapshot was counted too.
		Eventually(func() []gwapiv1.GatewayStatusAddress {
			var gw gwapiv1.Gateway
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "gw"}, &gw)).To(Succeed())
			return gw.Status.Addresses
		}).ShouldNot(BeEmpty())
		work := func() []float64 {
			return []float64{
				adminMetric(cp.admin, resourceSnapshots), adminMetric(cp.admin, translations),
				adminMetric(cp.admin, xdsTranslations), adminMetric(cp.admin, endpointSnapshots),
			}
		}
		before := work()
		Expect(before[0]).To(BeNumerically(">", 0), "the provider publishes no resource snapshots metric")

		routes, listeners := envoy.Version(resourcev3.RouteType), envoy.Version(resourcev3.ListenerType)
		clusters := envoy.Version(resourcev3.ClusterType)
		es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-slice"}}
		update(es, func() {
			es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
				Addresses: []string{"10.1.0.3"}, Conditions: discoveryv1.EndpointConditions{Ready: new(true)},
			})
		})
		Eventually(endpointAddresses(envoy, "service/"+ns+"/web/8080")).Should(Equal([]string{"10.1.0.1", "10.1.0.2", "10.1.0.3"}))
		Expect(envoy.Version(resourcev3.RouteType)).To(Equal(routes))
		Expect(envoy.Version(resourcev3.ListenerType)).To(Equal(listeners))
		Expect(envoy.Version(resourcev3.ClusterType)).To(Equal(clusters))

		// Only an endpoints snapshot was published: no Resources snapshot,
		// no resource translation, no xDS translation of the fleet.
		after := work()
		Expect(after[0]).To(Equal(before[0]), "resource snapshots published")
		Expect(after[1]).To(Equal(before[1]), "resource translations")
		Expect(after[2]).To(Equal(before[2]), "xDS translations")
		Expect(after[3]).To(BeNumerically(">", before[3]), "endpoints snapshots published")
	})

	It("serves the new certificate when the listener's Secret is rotated", func() {
		old := servedCertificate(envoy, ns+"/www-cert")()
		Expect(old).To(ContainSubstring("BEGIN CERTIFICATE"))
		rotated := tlsSecret(ns)
		current := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "www-cert"}}
		update(current, func() { current.Data = rotated.Data })
		Eventually(servedCertificate(envoy, ns+"/www-cert")).Should(Equal(string(rotated.Data[corev1.TLSCertKey])))
	})

	It("converges to the same xDS and writes no status after a controller restart", func() {
		before := allResources(envoy)
		statusVersions := func() []string {
			var gc gwapiv1.GatewayClass
			var gw gwapiv1.Gateway
			var route gwapiv1.HTTPRoute
			Expect(k8sClient.Get(ctx, client.ObjectKey{Name: class}, &gc)).To(Succeed())
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "gw"}, &gw)).To(Succeed())
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &route)).To(Succeed())
			return []string{gc.ResourceVersion, gw.ResourceVersion, route.ResourceVersion}
		}
		// Let the first control plane finish writing what it had to write:
		// statuses are written result after result, so once a new Gateway's
		// status is written, the results before it are written too.
		Eventually(routeParentCondition(ns, "web", "ResolvedRefs")).Should(haveCondition(metav1.ConditionTrue, "ResolvedRefs"))
		createMarkerGateway(ns, "marker-1", class)
		Eventually(gatewayCondition(ns, "gw", applied.ConditionType)).Should(haveCondition(metav1.ConditionTrue, applied.ReasonApplied))
		settled := statusVersions()

		envoy.Close()
		cp.stop()
		cp = startControlPlane()
		var err error
		envoy, err = xdstest.Dial(cp.xdsAddr, fleet, insecure.NewCredentials())
		Expect(err).NotTo(HaveOccurred())

		Eventually(func() bool { return sameResources(before, allResources(envoy)) }).Should(BeTrue())
		// The restarted control plane's first result is written before the
		// one with a new Gateway: nothing of it changed a status.
		createMarkerGateway(ns, "marker-2", class)
		Expect(statusVersions()).To(Equal(settled))
	})

	It("removes the route and its cluster when the HTTPRoute is deleted", func() {
		Expect(k8sClient.Delete(ctx, &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}})).To(Succeed())
		Eventually(routeNames(envoy, httpRC)).ShouldNot(ContainElement(HavePrefix("httproute/" + ns + "/web/")))
		Eventually(func() []string { return envoy.Names(resourcev3.ClusterType) }).ShouldNot(ContainElement("service/" + ns + "/web/8080"))
	})

	It("does not serve this fleet to a proxy of another fleet", func() {
		// The other fleet exists and is served: its proxy holds its own
		// configuration only.
		Expect(k8sClient.Create(ctx, &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "another-gateway"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: class,
				Listeners:        []gwapiv1.Listener{{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 9090}},
			},
		})).To(Succeed())
		other, err := xdstest.Dial(cp.xdsAddr, ns+"/another-gateway", insecure.NewCredentials())
		Expect(err).NotTo(HaveOccurred())
		defer other.Close()
		Eventually(func() []string { return other.Names(resourcev3.ListenerType) }).Should(Equal([]string{"listener/0.0.0.0/9090"}))
		Expect(other.Names(resourcev3.ClusterType)).To(BeEmpty())
		Expect(other.Names(resourcev3.SecretType)).To(BeEmpty())
	})
})
