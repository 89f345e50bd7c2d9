package controllers_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

var _ = Describe("EnvoyProxy CRD", func() {
	It("accepts a valid EnvoyProxy and applies defaults", func() {
		ep := &egv1a1.EnvoyProxy{
			ObjectMeta: metav1.ObjectMeta{Name: "valid", Namespace: "default"},
			Spec: egv1a1.EnvoyProxySpec{
				Provider: &egv1a1.EnvoyProxyProvider{
					Type: egv1a1.ProviderTypeKubernetes,
					Kubernetes: &egv1a1.KubernetesProvider{
						EnvoyService: &egv1a1.EnvoyService{
							Type:        ptr.To(egv1a1.ServiceTypeNodePort),
							Annotations: map[string]string{"example.com/lb": "internal"},
						},
						EnvoyDeployment: &egv1a1.EnvoyDeployment{
							Replicas: ptr.To[int32](3),
							Container: &egv1a1.EnvoyContainer{
								Image: new("envoyproxy/envoy:v1.36.2"),
								Resources: &corev1.ResourceRequirements{
									Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
								},
							},
						},
					},
				},
				Logging: &egv1a1.ProxyLogging{Level: egv1a1.LogLevelDebug},
			},
		}
		Expect(k8sClient.Create(ctx, ep)).To(Succeed())

		got := &egv1a1.EnvoyProxy{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ep), got)).To(Succeed())
		Expect(got.ServiceType()).To(Equal(egv1a1.ServiceTypeNodePort))
		Expect(got.Replicas()).To(Equal(int32(3)))
		Expect(got.Image()).To(Equal("envoyproxy/envoy:v1.36.2"))
		Expect(got.Spec.MergeGateways).To(Equal(new(false)), "mergeGateways defaults to false")
	})

	It("shows the defaults in the columns of kubectl get", func() {
		ep := &egv1a1.EnvoyProxy{ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: "default"}}
		Expect(k8sClient.Create(ctx, ep)).To(Succeed())
		DeferCleanup(func() { Expect(k8sClient.Delete(ctx, ep)).To(Succeed()) })

		// The server-side table kubectl get prints.
		clientset, err := kubernetes.NewForConfig(cfg)
		Expect(err).NotTo(HaveOccurred())
		raw, err := clientset.CoreV1().RESTClient().Get().
			AbsPath("/apis/gateway.envoyproxy.io/v1alpha1/namespaces/default/envoyproxies/defaults").
			SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
			DoRaw(ctx)
		Expect(err).NotTo(HaveOccurred())
		var table metav1.Table
		Expect(json.Unmarshal(raw, &table)).To(Succeed())
		columns := map[string]any{}
		Expect(table.Rows).To(HaveLen(1))
		for i, c := range table.ColumnDefinitions {
			columns[c.Name] = table.Rows[0].Cells[i]
		}
		Expect(columns).To(HaveKeyWithValue("Service Type", "LoadBalancer"))
		Expect(columns).To(HaveKeyWithValue("Replicas", BeEquivalentTo(1)))
		Expect(columns).To(HaveKeyWithValue("Merge Gateways", false))

		got := &egv1a1.EnvoyProxy{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ep), got)).To(Succeed())
		Expect(got.LogLevel()).To(Equal(egv1a1.LogLevelWarn))
		Expect(got.Spec.Provider.Type).To(Equal(egv1a1.ProviderTypeKubernetes))
	})

	It("rejects an unknown Service type with the allowed values", func() {
		ep := &egv1a1.EnvoyProxy{
			ObjectMeta: metav1.ObjectMeta{Name: "bad-service-type", Namespace: "default"},
			Spec: egv1a1.EnvoyProxySpec{Provider: &egv1a1.EnvoyProxyProvider{
				Type: egv1a1.ProviderTypeKubernetes,
				Kubernetes: &egv1a1.KubernetesProvider{
					EnvoyService: &egv1a1.EnvoyService{Type: ptr.To(egv1a1.ServiceType("ExternalName"))},
				},
			}},
		}
		err := k8sClient.Create(ctx, ep)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec.provider.kubernetes.envoyService.type"))
		Expect(err.Error()).To(ContainSubstring(`supported values: "LoadBalancer", "NodePort", "ClusterIP"`))
	})

	It("rejects negative replicas", func() {
		ep := &egv1a1.EnvoyProxy{
			ObjectMeta: metav1.ObjectMeta{Name: "negative-replicas", Namespace: "default"},
			Spec: egv1a1.EnvoyProxySpec{Provider: &egv1a1.EnvoyProxyProvider{
				Type: egv1a1.ProviderTypeKubernetes,
				Kubernetes: &egv1a1.KubernetesProvider{
					EnvoyDeployment: &egv1a1.EnvoyDeployment{Replicas: ptr.To[int32](-1)},
				},
			}},
		}
		err := k8sClient.Create(ctx, ep)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec.provider.kubernetes.envoyDeployment.replicas"))
	})

	It("serves the Gateway API standard-channel CRDs", func() {
		gc := &gwapiv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: "crd-check"},
			Spec:       gwapiv1.GatewayClassSpec{ControllerName: egv1a1.DefaultControllerName},
		}
		Expect(k8sClient.Create(ctx, gc)).To(Succeed())
		Expect(k8sClient.Delete(ctx, gc)).To(Succeed())
	})
})
