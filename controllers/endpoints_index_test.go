package controllers_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/envoygw/envoy-gateway/controllers"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

var _ = Describe("EndpointSlices of a Service", func() {
	It("are read from the informer's index, as the store holds them", func() {
		p, err := controllers.New(cfg, controllers.Options{
			ControllerName: "gateway.envoyproxy.io/slice-index-test",
			Resources:      message.NewWatchable[*gatewayapi.Resources]("resources"),
			Endpoints:      message.NewWatchable[*ir.Endpoints]("endpoints"),
			Results:        message.NewWatchable[*gatewayapi.Result]("results"),
		})
		Expect(err).NotTo(HaveOccurred())
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- p.Start(runCtx) }()
		DeferCleanup(func() {
			stop()
			Eventually(done).Should(Receive(Not(HaveOccurred())))
		})

		ns := "slice-index"
		ensureNamespace(ns)
		slice := func(name, svc string) *discoveryv1.EndpointSlice {
			return &discoveryv1.EndpointSlice{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
					Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
				AddressType: discoveryv1.AddressTypeIPv4,
			}
		}
		for _, es := range []*discoveryv1.EndpointSlice{slice("web-b", "web"), slice("web-a", "web"), slice("api-a", "api")} {
			Expect(k8sClient.Create(ctx, es)).To(Succeed())
		}
		web := types.NamespacedName{Namespace: ns, Name: "web"}
		Eventually(func(g Gomega) {
			names, indexed, err := controllers.EndpointSlicesOf(ctx, p, web)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(indexed).To(BeTrue(), "read without the informer's index")
			g.Expect(names).To(Equal([]string{ns + "/web-a", ns + "/web-b"}))
		}).Should(Succeed())
	})
})
