package controlplane_test

import (
	"slices"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc/credentials/insecure"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/testenv"
	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

// outageDuration is how long the spec keeps the kube-apiserver down: far
// past the leader's renew deadline (10 s), as an upgrade would.
const outageDuration = 60 * time.Second

// Series of the leader elector.
const (
	leaderGauge = `envoy_gateway_leader`
	leaderTerms = `envoy_gateway_leader_terms_total`
)

// servedDomains returns the sorted virtual host domains the client holds.
func servedDomains(c *xdstest.Client) func() []string {
	return func() []string {
		var out []string
		for _, m := range c.Resources(resourcev3.RouteType) {
			for _, vh := range m.(*routev3.RouteConfiguration).GetVirtualHosts() {
				out = append(out, vh.GetDomains()...)
			}
		}
		slices.Sort(out)
		return out
	}
}

// routeAcceptedAt returns a getter of the generation our Accepted=True
// parent status of a route was computed for (0 when there is none).
func routeAcceptedAt(ns, name string) func() int64 {
	return func() int64 {
		var r gwapiv1.HTTPRoute
		if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &r); err != nil {
			return 0
		}
		for _, p := range r.Status.Parents {
			for _, c := range p.Conditions {
				if string(p.ControllerName) == egv1a1.DefaultControllerName && c.Type == "Accepted" && c.Status == metav1.ConditionTrue {
					return c.ObservedGeneration
				}
			}
		}
		return 0
	}
}

var _ = Describe("API server outage", Ordered, func() {
	const (
		ns    = "outage-test"
		class = "outage-test"
	)
	var (
		cp    *runningControlPlane
		envoy *xdstest.Client
		down  bool
	)

	BeforeAll(func() {
		ensureNamespace("envoy-gateway-system")
		ensureNamespace(ns)
		cp = startControlPlane()
		DeferCleanup(func() { cp.stop() })
		Expect(k8sClient.Create(ctx, newGatewayClass(class))).To(Succeed())
		Expect(k8sClient.Create(ctx, &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: class,
				Listeners:        []gwapiv1.Listener{{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 8080}},
			},
		})).To(Succeed())
		Expect(k8sClient.Create(ctx, backendService(ns, "web", 8080))).To(Succeed())
		Expect(k8sClient.Create(ctx, webEndpointSlice(ns, "10.3.0.1"))).To(Succeed())
		Expect(k8sClient.Create(ctx, httpRoute(ns, "web", nil, "web", 8080))).To(Succeed())
		var err error
		envoy, err = xdstest.Dial(cp.xdsAddr, ns+"/gw", insecure.NewCredentials())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { envoy.Close() })
		Eventually(servedDomains(envoy)).Should(Equal([]string{"www.example.com"}))
		Eventually(routeAcceptedAt(ns, "web")).Should(Equal(int64(1)))
		Eventually(func() float64 { return adminMetric(cp.admin, leaderGauge) }).Should(Equal(1.0))
		// Whatever happens in the specs, leave the API server running.
		DeferCleanup(func() {
			if down {
				Expect(testenv.StartAPIServer(testEnv)).To(Succeed())
			}
		})
	})

	It("keeps serving xDS from the last good state and pauses only the leader-only work", func() {
		before := allResources(envoy)
		Expect(testenv.StopAPIServer(testEnv)).To(Succeed())
		down = true
		stopped := time.Now()

		By("ending the leader term once the lease cannot be renewed")
		Eventually(func() float64 { return adminMetric(cp.admin, leaderGauge) }, outageDuration).Should(Equal(0.0))

		By("serving the same configuration over the same stream until the outage ends")
		Consistently(func(g Gomega) {
			g.Expect(envoy.Err()).NotTo(HaveOccurred(), "the xDS stream ended")
			g.Expect(sameResources(allResources(envoy), before)).To(BeTrue(), "the served configuration changed")
			g.Expect(cp.done).NotTo(Receive(), "the control plane stopped")
		}, time.Until(stopped.Add(outageDuration)), time.Second).Should(Succeed())

		Expect(testenv.StartAPIServer(testEnv)).To(Succeed())
		down = false
	})

	It("converges on a route change and writes statuses once the API server is back", func() {
		route := &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
		update(route, func() { route.Spec.Hostnames = []gwapiv1.Hostname{"api.example.com"} })
		Expect(route.Generation).To(Equal(int64(2)))

		// Informers reconnect with backoff (up to 30 s between attempts).
		Eventually(servedDomains(envoy), 2*time.Minute).Should(Equal([]string{"api.example.com"}))
		Eventually(routeAcceptedAt(ns, "web"), 2*time.Minute).Should(Equal(int64(2)))
		Expect(adminMetric(cp.admin, leaderGauge)).To(Equal(1.0))
		Expect(adminMetric(cp.admin, leaderTerms)).To(BeNumerically(">=", 2))
		Expect(envoy.Err()).NotTo(HaveOccurred())
		Expect(cp.done).NotTo(Receive())
	})
})
