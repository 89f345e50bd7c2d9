package controlplane_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// eventsAbout returns a getter of the "<type> <reason>" of the events.k8s.io
// Events in namespace ns regarding the object of that kind and name.
func eventsAbout(ns, kind, name string) func() []string {
	return func() []string {
		var list eventsv1.EventList
		Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		var out []string
		for _, e := range list.Items {
			if e.Regarding.Kind == kind && e.Regarding.Name == name && e.ReportingController == "envoy-gateway" {
				out = append(out, e.Type+" "+e.Reason)
			}
		}
		return out
	}
}

var _ = Describe("Kubernetes Events", Ordered, func() {
	const (
		ns    = "events-test"
		class = "events-test"
	)
	var cp *runningControlPlane
	gatewayEvents := eventsAbout(ns, "Gateway", "gw")
	// Events about a cluster-scoped object go to the default namespace.
	classEvents := eventsAbout(metav1.NamespaceDefault, "GatewayClass", class)

	BeforeAll(func() {
		ensureNamespace("envoy-gateway-system")
		ensureNamespace(ns)
		cp = startControlPlane()
		DeferCleanup(func() { cp.stop() })
	})

	It("records the creation of a Gateway's fleet on the Gateway", func() {
		Expect(k8sClient.Create(ctx, newGatewayClass(class))).To(Succeed())
		Expect(k8sClient.Create(ctx, &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: class,
				Listeners:        []gwapiv1.Listener{{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 8080}},
			},
		})).To(Succeed())
		Eventually(gatewayEvents).Should(ContainElement(corev1.EventTypeNormal + " FleetCreated"))
	})

	It("warns on the GatewayClass when its parameters are invalid, and says when they are fixed", func() {
		gc := &gwapiv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: class}}
		update(gc, func() {
			gc.Spec.ParametersRef = &gwapiv1.ParametersReference{
				Group: gwapiv1.Group(egv1a1.GroupVersion.Group), Kind: egv1a1.KindEnvoyProxy,
				Name: "two-replicas", Namespace: ptr.To(gwapiv1.Namespace(ns)),
			}
		})
		Eventually(classEvents).Should(ContainElement(corev1.EventTypeWarning + " InvalidParameters"))

		Expect(k8sClient.Create(ctx, &egv1a1.EnvoyProxy{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "two-replicas"},
			Spec: egv1a1.EnvoyProxySpec{Provider: &egv1a1.EnvoyProxyProvider{
				Type: egv1a1.ProviderTypeKubernetes,
				Kubernetes: &egv1a1.KubernetesProvider{
					EnvoyDeployment: &egv1a1.EnvoyDeployment{Replicas: ptr.To[int32](2)},
				},
			}},
		})).To(Succeed())
		Eventually(classEvents).Should(ContainElement(corev1.EventTypeNormal + " Accepted"))
		Eventually(gatewayEvents).Should(ContainElement(corev1.EventTypeNormal + " FleetUpdated"))
	})

	It("records the deletion of the fleet on the GatewayClass once its Gateway is gone", func() {
		Expect(k8sClient.Delete(ctx, &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"}})).To(Succeed())
		Eventually(classEvents).Should(ContainElement(corev1.EventTypeNormal + " FleetDeleted"))
	})
})
