package controlplane_test

import (
	"fmt"
	"slices"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

// refusedHostname is a hostname the test proxies refuse, as a data plane
// NACKs a configuration it cannot take.
const refusedHostname = "refused.example.com"

// refuseHostname NACKs RouteConfigurations with a virtual host for
// refusedHostname, naming the RouteConfiguration and the route in the
// error as Envoy does.
func refuseHostname(typeURL string, resources map[string]proto.Message) error {
	if typeURL != resourcev3.RouteType {
		return nil
	}
	for name, m := range resources {
		for _, vh := range m.(*routev3.RouteConfiguration).GetVirtualHosts() {
			if slices.Contains(vh.GetDomains(), refusedHostname) && len(vh.GetRoutes()) > 0 {
				return fmt.Errorf("%s: route %s: hostname %s refused by the test proxy", name, vh.GetRoutes()[0].GetName(), refusedHostname)
			}
		}
	}
	return nil
}

// domains returns the virtual host domains a proxy holds.
func domains(c *xdstest.Client) func() []string {
	return func() []string {
		var out []string
		for _, m := range c.Resources(resourcev3.RouteType) {
			for _, vh := range m.(*routev3.RouteConfiguration).GetVirtualHosts() {
				out = append(out, vh.GetDomains()...)
			}
		}
		return out
	}
}

// haveAppliedAt matches an Applied condition with status, reason and observedGeneration.
func haveAppliedAt(status metav1.ConditionStatus, reason string, generation int64) OmegaMatcher {
	return And(haveCondition(status, reason), HaveField("ObservedGeneration", generation))
}

var _ = Describe("The gateway.envoyproxy.io/Applied condition", Ordered, func() {
	const (
		ns    = "applied-test"
		class = "applied-test"
		fleet = ns + "/eg"
	)
	var (
		cp    *runningControlPlane
		proxy *xdstest.Client
		// proxies are closed after the last spec.
		proxies []*xdstest.Client
	)
	gatewayApplied := gatewayCondition(ns, "eg", applied.ConditionType)
	generation := func(obj client.Object) int64 {
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		return obj.GetGeneration()
	}
	gateway := &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eg"}}
	route := &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
	setHostname := func(h string) {
		update(route, func() { route.Spec.Hostnames = []gwapiv1.Hostname{gwapiv1.Hostname(h)} })
	}
	dial := func(node string) *xdstest.Client {
		c, err := xdstest.DialWith(cp.xdsAddr, xdstest.Options{Fleet: fleet, Creds: insecure.NewCredentials(), NodeID: node})
		Expect(err).NotTo(HaveOccurred())
		proxies = append(proxies, c)
		return c
	}

	BeforeAll(func() {
		ensureNamespace("envoy-gateway-system")
		ensureNamespace(ns)
		cp = startControlPlane()
		DeferCleanup(func() {
			for _, c := range proxies {
				c.Close()
			}
			cp.stop()
		})
		Expect(k8sClient.Create(ctx, newGatewayClass(class))).To(Succeed())
		Expect(k8sClient.Create(ctx, &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eg"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: class,
				Listeners:        []gwapiv1.Listener{{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 80}},
			},
		})).To(Succeed())
		Expect(k8sClient.Create(ctx, backendService(ns, "web", 8080))).To(Succeed())
		Expect(k8sClient.Create(ctx, webEndpointSlice(ns, "10.2.0.1"))).To(Succeed())
		Expect(k8sClient.Create(ctx, httpRouteTo(ns, "web", "eg", nil, "web", 8080))).To(Succeed())
	})

	It("is Unknown/NoProxies while no proxy of the fleet is connected", func() {
		Eventually(gatewayApplied).Should(haveAppliedAt(metav1.ConditionUnknown, applied.ReasonNoProxies, generation(gateway)))
	})

	It("is True at the Gateway's generation once the proxy ACKed the configuration", func() {
		proxy = dial("pod-1")
		Eventually(gatewayApplied).Should(haveAppliedAt(metav1.ConditionTrue, applied.ReasonApplied, generation(gateway)))
		Expect(domains(proxy)()).To(ContainElement("www.example.com"))
	})

	It("is Pending after a route change until the proxy ACKs it, then True", func() {
		proxy.Pause()
		setHostname("api.example.com")
		Eventually(gatewayApplied).Should(haveCondition(metav1.ConditionUnknown, applied.ReasonPending))
		Expect(domains(proxy)()).NotTo(ContainElement("api.example.com"))
		Expect(proxy.Resume()).To(Succeed())
		Eventually(gatewayApplied).Should(haveAppliedAt(metav1.ConditionTrue, applied.ReasonApplied, generation(gateway)))
		Expect(domains(proxy)()).To(ContainElement("api.example.com"))
		Eventually(routeParentCondition(ns, "web", "Accepted")).Should(HaveField("ObservedGeneration", generation(route)))
	})

	It("is True at the new generation after a Gateway change", func() {
		before := generation(gateway)
		update(gateway, func() {
			gateway.Spec.Listeners = append(gateway.Spec.Listeners, gwapiv1.Listener{Name: "alt", Protocol: gwapiv1.HTTPProtocolType, Port: 8080})
		})
		Expect(generation(gateway)).To(BeNumerically(">", before))
		Eventually(gatewayApplied).Should(haveAppliedAt(metav1.ConditionTrue, applied.ReasonApplied, generation(gateway)))
		Expect(proxy.Names(resourcev3.ListenerType)).To(ContainElement("listener/0.0.0.0/8080"))
	})

	It("is False/Rejected with the proxy's error on the Gateway and the route when the proxy NACKs, True once fixed", func() {
		proxy.SetReject(refuseHostname)
		setHostname(refusedHostname)
		Eventually(gatewayApplied).Should(And(haveCondition(metav1.ConditionFalse, applied.ReasonRejected),
			HaveField("Message", And(ContainSubstring("proxy pod-1 rejected RouteConfiguration"), ContainSubstring("refused by the test proxy")))))
		Eventually(routeParentCondition(ns, "web", applied.ConditionType)).Should(And(
			haveAppliedAt(metav1.ConditionFalse, applied.ReasonRejected, generation(route)),
			HaveField("Message", ContainSubstring("refused by the test proxy"))))
		Expect(domains(proxy)()).NotTo(ContainElement(refusedHostname))

		setHostname("www.example.com")
		Eventually(gatewayApplied).Should(haveAppliedAt(metav1.ConditionTrue, applied.ReasonApplied, generation(gateway)))
		Eventually(routeParentCondition(ns, "web", applied.ConditionType)).Should(BeNil())
		Expect(domains(proxy)()).To(ContainElement("www.example.com"))
	})

	It("stays Unknown/Pending while one of two proxies lags, True once both ACKed", func() {
		lagging := dial("pod-2")
		Eventually(gatewayApplied).Should(And(haveCondition(metav1.ConditionTrue, applied.ReasonApplied),
			HaveField("Message", ContainSubstring("all 2 connected proxies"))))
		lagging.Pause()
		setHostname("v2.example.com")
		Eventually(domains(proxy)).Should(ContainElement("v2.example.com"))
		Eventually(gatewayApplied).Should(And(haveCondition(metav1.ConditionUnknown, applied.ReasonPending),
			HaveField("Message", ContainSubstring("1 of 2 connected proxies"))))
		Expect(lagging.Resume()).To(Succeed())
		Eventually(gatewayApplied).Should(haveAppliedAt(metav1.ConditionTrue, applied.ReasonApplied, generation(gateway)))
		Expect(domains(lagging)()).To(ContainElement("v2.example.com"))
	})

	It("exports connected proxies, NACKs and the propagation latency", func() {
		Expect(adminMetric(cp.admin, `envoy_gateway_xds_connected_proxies{fleet="`+fleet+`",protocol="sotw"}`)).To(BeEquivalentTo(2))
		Expect(adminMetric(cp.admin, `envoy_gateway_xds_nacks_total{fleet="`+fleet+`",type="RouteConfiguration"}`)).To(BeNumerically(">=", 1))
		Expect(adminMetric(cp.admin, "envoy_gateway_xds_propagation_duration_seconds_count")).To(BeNumerically(">=", 4))
	})
})
