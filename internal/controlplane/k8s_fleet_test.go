package controlplane_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// fleetState is what must not change when only a listener's validity does.
type fleetState struct {
	deploymentGeneration int64
	nodePorts            map[int32]int32
}

var _ = Describe("Fleet objects", Ordered, func() {
	const (
		ns    = "fleet-test"
		class = "fleet-test"
		step  = "example.com/step"
	)
	var (
		cp    *runningControlPlane
		proxy *egv1a1.EnvoyProxy
	)

	objects := func() (*appsv1.Deployment, *corev1.Service) {
		labels := client.MatchingLabels{render.LabelOwningGatewayNamespace: ns, render.LabelOwningGatewayName: "gw"}
		var deps appsv1.DeploymentList
		Expect(k8sClient.List(ctx, &deps, client.InNamespace("envoy-gateway-system"), labels)).To(Succeed())
		var svcs corev1.ServiceList
		Expect(k8sClient.List(ctx, &svcs, client.InNamespace("envoy-gateway-system"), labels)).To(Succeed())
		if len(deps.Items) != 1 || len(svcs.Items) != 1 {
			return nil, nil
		}
		return &deps.Items[0], &svcs.Items[0]
	}
	state := func() fleetState {
		dep, svc := objects()
		Expect(dep).NotTo(BeNil())
		st := fleetState{deploymentGeneration: dep.Generation, nodePorts: map[int32]int32{}}
		for _, p := range svc.Spec.Ports {
			st.nodePorts[p.Port] = p.NodePort
		}
		return st
	}
	serviceAnnotation := func() string {
		_, svc := objects()
		if svc == nil {
			return ""
		}
		return svc.Annotations[step]
	}
	// markStep annotates the fleet's Service through the EnvoyProxy and waits
	// until the infra manager has applied it: the fleet set it applied then
	// was translated from a snapshot holding everything seen before.
	markStep := func(value string) {
		update(proxy, func() {
			proxy.Spec.Provider.Kubernetes.EnvoyService.Annotations = map[string]string{step: value}
		})
		Eventually(serviceAnnotation).Should(Equal(value))
	}
	httpsResolved := func() *metav1.Condition {
		l := listenerStatus(ns, "gw", "https")()
		if l == nil {
			return nil
		}
		return meta.FindStatusCondition(l.Conditions, "ResolvedRefs")
	}

	BeforeAll(func() {
		ensureNamespace("envoy-gateway-system")
		ensureNamespace(ns)
		cp = startControlPlane()
		DeferCleanup(func() { cp.stop() })
		proxy = &egv1a1.EnvoyProxy{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nodeport"},
			Spec: egv1a1.EnvoyProxySpec{Provider: &egv1a1.EnvoyProxyProvider{
				Type: egv1a1.ProviderTypeKubernetes,
				Kubernetes: &egv1a1.KubernetesProvider{
					EnvoyService: &egv1a1.EnvoyService{Type: ptr.To(egv1a1.ServiceTypeNodePort)},
				},
			}},
		}
		Expect(k8sClient.Create(ctx, proxy)).To(Succeed())
		gc := newGatewayClass(class)
		gc.Spec.ParametersRef = &gwapiv1.ParametersReference{
			Group: gwapiv1.Group(egv1a1.GroupVersion.Group), Kind: egv1a1.KindEnvoyProxy,
			Name: "nodeport", Namespace: ptr.To(gwapiv1.Namespace(ns)),
		}
		Expect(k8sClient.Create(ctx, gc)).To(Succeed())
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
		Eventually(httpsResolved).Should(haveCondition(metav1.ConditionTrue, "ResolvedRefs"))
		markStep("valid")
	})

	It("keeps the Deployment and the Service's node ports when a listener's Secret breaks and is restored", func() {
		before := state()
		Expect(before.nodePorts).To(HaveLen(2))
		Expect(before.nodePorts).NotTo(ContainElement(BeZero()))

		By("deleting the Secret")
		Expect(k8sClient.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "www-cert"}})).To(Succeed())
		Eventually(httpsResolved).Should(haveCondition(metav1.ConditionFalse, "InvalidCertificateRef"))
		markStep("broken")
		Expect(state()).To(Equal(before))

		By("restoring it")
		Expect(k8sClient.Create(ctx, tlsSecret(ns))).To(Succeed())
		Eventually(httpsResolved).Should(haveCondition(metav1.ConditionTrue, "ResolvedRefs"))
		markStep("restored")
		Expect(state()).To(Equal(before))
	})
})
