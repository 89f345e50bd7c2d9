package controlplane_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/controllers"
)

var _ = Describe("Kubernetes provider", Ordered, func() {
	const (
		ns        = "provider-test"
		backendNS = "provider-backends"
		class     = "provider-test"
	)
	var cp *runningControlPlane

	BeforeAll(func() {
		ensureNamespace("envoy-gateway-system")
		ensureNamespace(ns)
		ensureNamespace(backendNS)
		cp = startControlPlane()
		DeferCleanup(func() { cp.stop() })
	})

	It("accepts a GatewayClass naming our controller", func() {
		Expect(k8sClient.Create(ctx, newGatewayClass(class))).To(Succeed())
		Eventually(gatewayClassAccepted(class)).Should(haveCondition(metav1.ConditionTrue, "Accepted"))
	})

	It("accepts a Gateway with HTTP and HTTPS listeners and resolves its certificate", func() {
		Expect(k8sClient.Create(ctx, tlsSecret(ns))).To(Succeed())
		gw := &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: class,
				Listeners: []gwapiv1.Listener{
					{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 80},
					{
						Name: "https", Protocol: gwapiv1.HTTPSProtocolType, Port: 443,
						TLS: &gwapiv1.ListenerTLSConfig{
							Mode:            ptr.To(gwapiv1.TLSModeTerminate),
							CertificateRefs: []gwapiv1.SecretObjectReference{{Name: "www-cert"}},
						},
					},
				},
			},
		}
		Expect(k8sClient.Create(ctx, gw)).To(Succeed())
		Eventually(gatewayCondition(ns, "gw", "Accepted")).Should(haveCondition(metav1.ConditionTrue, "Accepted"))
		Eventually(listenerStatus(ns, "gw", "https")).Should(And(
			Not(BeNil()),
			WithTransform(func(l *gwapiv1.ListenerStatus) []metav1.Condition { return l.Conditions },
				ContainElement(And(HaveField("Type", "ResolvedRefs"), HaveField("Status", metav1.ConditionTrue)))),
		))
		By("keeping the GatewayClass while a Gateway uses it")
		Eventually(func() bool {
			var gc gwapiv1.GatewayClass
			Expect(k8sClient.Get(ctx, client.ObjectKey{Name: class}, &gc)).To(Succeed())
			return controllerutil.ContainsFinalizer(&gc, controllers.GatewayClassFinalizer)
		}).Should(BeTrue())
	})

	It("attaches an HTTPRoute and counts it on the listeners", func() {
		Expect(k8sClient.Create(ctx, backendService(ns, "web", 8080))).To(Succeed())
		Expect(k8sClient.Create(ctx, webEndpointSlice(ns, "10.0.0.1", "10.0.0.2"))).To(Succeed())
		Expect(k8sClient.Create(ctx, httpRoute(ns, "web", nil, "web", 8080))).To(Succeed())
		Eventually(routeParentCondition(ns, "web", "Accepted")).Should(haveCondition(metav1.ConditionTrue, "Accepted"))
		Eventually(routeParentCondition(ns, "web", "ResolvedRefs")).Should(haveCondition(metav1.ConditionTrue, "ResolvedRefs"))
		Eventually(listenerStatus(ns, "gw", "http")).Should(HaveField("AttachedRoutes", int32(1)))
	})

	It("writes a route's parent status again at the next result after someone else removed it", func() {
		Eventually(func() error {
			var web gwapiv1.HTTPRoute
			if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &web); err != nil {
				return err
			}
			web.Status.Parents = []gwapiv1.RouteParentStatus{}
			return k8sClient.Status().Update(ctx, &web)
		}).Should(Succeed())
		// A new result whose status of web did not change: the writer looks
		// at web because its informer had an event for it.
		Expect(k8sClient.Create(ctx, httpRoute(ns, "web-next", nil, "web", 8080))).To(Succeed())
		Eventually(routeParentCondition(ns, "web-next", "Accepted")).Should(haveCondition(metav1.ConditionTrue, "Accepted"))
		Eventually(routeParentCondition(ns, "web", "Accepted")).Should(haveCondition(metav1.ConditionTrue, "Accepted"))
		Expect(k8sClient.Delete(ctx, &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-next"}})).To(Succeed())
	})

	It("refuses a cross-namespace backend until a ReferenceGrant allows it", func() {
		Expect(k8sClient.Create(ctx, backendService(backendNS, "api", 9090))).To(Succeed())
		Expect(k8sClient.Create(ctx, httpRoute(ns, "cross", ptr.To(backendNS), "api", 9090))).To(Succeed())
		Eventually(routeParentCondition(ns, "cross", "ResolvedRefs")).Should(haveCondition(metav1.ConditionFalse, "RefNotPermitted"))

		grant := &gwapiv1.ReferenceGrant{
			ObjectMeta: metav1.ObjectMeta{Namespace: backendNS, Name: "allow-routes"},
			Spec: gwapiv1.ReferenceGrantSpec{
				From: []gwapiv1.ReferenceGrantFrom{{Group: gwapiv1.GroupName, Kind: "HTTPRoute", Namespace: ns}},
				To:   []gwapiv1.ReferenceGrantTo{{Group: "", Kind: "Service"}},
			},
		}
		Expect(k8sClient.Create(ctx, grant)).To(Succeed())
		Eventually(routeParentCondition(ns, "cross", "ResolvedRefs")).Should(haveCondition(metav1.ConditionTrue, "ResolvedRefs"))
	})

	It("removes its parent status entry when a route leaves our Gateways", func() {
		route := &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cross"}}
		update(route, func() { route.Spec.ParentRefs = []gwapiv1.ParentReference{{Name: "someone-elses-gateway"}} })
		Eventually(func() []gwapiv1.RouteParentStatus {
			var r gwapiv1.HTTPRoute
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cross"}, &r)).To(Succeed())
			return r.Status.Parents
		}).Should(BeEmpty())
	})
})
