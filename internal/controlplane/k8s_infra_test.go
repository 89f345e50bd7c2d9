package controlplane_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// edgeDeployments lists the Deployments of the fleet of Gateway infra-test/edge.
func edgeDeployments() []appsv1.Deployment {
	const gwNS, gwName = "infra-test", "edge"
	var list appsv1.DeploymentList
	Expect(k8sClient.List(ctx, &list, client.InNamespace("envoy-gateway-system"), client.MatchingLabels{
		render.LabelOwningGatewayNamespace: gwNS, render.LabelOwningGatewayName: gwName,
	})).To(Succeed())
	return list.Items
}

// edgeServices lists the Services of the fleet of Gateway infra-test/edge.
func edgeServices() []corev1.Service {
	const gwNS, gwName = "infra-test", "edge"
	var list corev1.ServiceList
	Expect(k8sClient.List(ctx, &list, client.InNamespace("envoy-gateway-system"), client.MatchingLabels{
		render.LabelOwningGatewayNamespace: gwNS, render.LabelOwningGatewayName: gwName,
	})).To(Succeed())
	return list.Items
}

func countOf[T any](list func() []T) func() int {
	return func() int { return len(list()) }
}

var _ = Describe("Infra manager", Ordered, func() {
	const (
		ns    = "infra-test"
		class = "infra-test"
	)
	var cp *runningControlPlane

	BeforeAll(func() {
		ensureNamespace("envoy-gateway-system")
		ensureNamespace(ns)
		cp = startControlPlane()
		DeferCleanup(func() { cp.stop() })
	})

	It("provisions a fleet with a LoadBalancer Service for the first Gateway of the class", func() {
		Expect(k8sClient.Create(ctx, newGatewayClass(class))).To(Succeed())
		gw := &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "edge"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: class,
				Listeners:        []gwapiv1.Listener{{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 80}},
			},
		}
		Expect(k8sClient.Create(ctx, gw)).To(Succeed())
		Eventually(countOf(edgeDeployments)).Should(Equal(1))
		Eventually(edgeServices).Should(ConsistOf(And(
			HaveField("Spec.Type", corev1.ServiceTypeLoadBalancer),
			HaveField("Spec.Ports", ConsistOf(And(HaveField("Port", int32(80)), HaveField("TargetPort.IntVal", int32(10080))))),
		)))
		name := edgeDeployments()[0].Name
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: "envoy-gateway-system", Name: name}, &corev1.ServiceAccount{})).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: "envoy-gateway-system", Name: name}, &corev1.ConfigMap{})).To(Succeed())
		Eventually(gatewayCondition(ns, "edge", "Programmed")).Should(HaveField("Status", metav1.ConditionFalse))
	})

	It("switches the Service to NodePort when the class's EnvoyProxy says so", func() {
		ep := &egv1a1.EnvoyProxy{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nodeport"},
			Spec: egv1a1.EnvoyProxySpec{Provider: &egv1a1.EnvoyProxyProvider{
				Type: egv1a1.ProviderTypeKubernetes,
				Kubernetes: &egv1a1.KubernetesProvider{
					EnvoyService:    &egv1a1.EnvoyService{Type: ptr.To(egv1a1.ServiceTypeNodePort)},
					EnvoyDeployment: &egv1a1.EnvoyDeployment{Replicas: ptr.To[int32](2)},
				},
			}},
		}
		Expect(k8sClient.Create(ctx, ep)).To(Succeed())
		gc := &gwapiv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: class}}
		update(gc, func() {
			gc.Spec.ParametersRef = &gwapiv1.ParametersReference{
				Group: gwapiv1.Group(egv1a1.GroupVersion.Group), Kind: egv1a1.KindEnvoyProxy,
				Name: "nodeport", Namespace: ptr.To(gwapiv1.Namespace(ns)),
			}
		})
		Eventually(edgeServices).Should(ConsistOf(HaveField("Spec.Type", corev1.ServiceTypeNodePort)))
		Eventually(edgeDeployments).Should(ConsistOf(HaveField("Spec.Replicas", HaveValue(Equal(int32(2))))))
		Eventually(func() []metav1.Condition {
			var got egv1a1.EnvoyProxy
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ep), &got)).To(Succeed())
			return got.Status.Conditions
		}).Should(ContainElement(And(HaveField("Type", "Accepted"), HaveField("Status", metav1.ConditionTrue))))
	})

	It("marks the Gateway Programmed with the Service address once a proxy is available", func() {
		dep := edgeDeployments()[0]
		dep.Status.Replicas = 2
		dep.Status.ReadyReplicas = 1
		dep.Status.AvailableReplicas = 1
		dep.Status.UpdatedReplicas = 2
		Expect(k8sClient.Status().Update(ctx, &dep)).To(Succeed())
		clusterIP := edgeServices()[0].Spec.ClusterIP
		Expect(clusterIP).NotTo(BeEmpty())
		Eventually(gatewayCondition(ns, "edge", "Programmed")).Should(haveCondition(metav1.ConditionTrue, "Programmed"))
		Eventually(func() []gwapiv1.GatewayStatusAddress {
			var gw gwapiv1.Gateway
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "edge"}, &gw)).To(Succeed())
			return gw.Status.Addresses
		}).Should(ContainElement(HaveField("Value", clusterIP)))
	})

	It("reports InvalidParameters for a broken EnvoyProxy reference and leaves the fleet running", func() {
		before := edgeDeployments()[0].ResourceVersion
		beforeSvc := edgeServices()[0].ResourceVersion
		gc := &gwapiv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: class}}
		update(gc, func() { gc.Spec.ParametersRef.Name = "does-not-exist" })
		Eventually(gatewayClassAccepted(class)).Should(haveCondition(metav1.ConditionFalse, "InvalidParameters"))
		// The infra manager handles fleet sets in order: once the fleet of a
		// Gateway created now runs, the sets with the frozen class were
		// handled, and they left the fleet as it was.
		Expect(k8sClient.Create(ctx, newGatewayClass("infra-marker"))).To(Succeed())
		Expect(k8sClient.Create(ctx, &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "marker"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: "infra-marker",
				Listeners:        []gwapiv1.Listener{{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 8080}},
			},
		})).To(Succeed())
		Eventually(func() int {
			var list appsv1.DeploymentList
			Expect(k8sClient.List(ctx, &list, client.InNamespace("envoy-gateway-system"), client.MatchingLabels{
				render.LabelOwningGatewayNamespace: ns, render.LabelOwningGatewayName: "marker",
			})).To(Succeed())
			return len(list.Items)
		}).Should(Equal(1))
		deps, svcs := edgeDeployments(), edgeServices()
		Expect(deps).To(HaveLen(1))
		Expect(svcs).To(HaveLen(1))
		Expect([]string{deps[0].ResourceVersion, svcs[0].ResourceVersion}).To(Equal([]string{before, beforeSvc}))

		By("fixing the reference again")
		update(gc, func() { gc.Spec.ParametersRef.Name = "nodeport" })
		Eventually(gatewayClassAccepted(class)).Should(haveCondition(metav1.ConditionTrue, "Accepted"))
	})

	It("deletes the fleet with the last Gateway", func() {
		Expect(k8sClient.Delete(ctx, &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "edge"}})).To(Succeed())
		Eventually(countOf(edgeDeployments)).Should(BeZero())
		Eventually(countOf(edgeServices)).Should(BeZero())
	})
})
