package infra_test

import (
	"context"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
	"github.com/envoygw/envoy-gateway/internal/message"
)

func newFleets() *message.Watchable[*bus.FleetSet] {
	return message.NewWatchable[*bus.FleetSet]("fleets")
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx)
}

var _ = Describe("Observer", func() {
	var (
		m   *infra.Manager
		obs infra.Observer
	)

	BeforeEach(func() {
		var err error
		m, err = infra.NewManager(infra.Options{Client: k8sClient, Render: render.DefaultOptions(namespace), Logger: logr.Discard()})
		Expect(err).NotTo(HaveOccurred())
		obs = infra.Observer{Namespace: namespace}
	})

	AfterEach(func() {
		Expect(m.Reconcile(ctx, nil, nil)).To(Succeed())
	})

	It("reports a fleet not ready, at its cluster IP, until the Deployment has an available replica", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "ClusterIP")}, nil)).To(Succeed())
		svc := getService("default/eg")
		Expect(svc.Spec.ClusterIP).NotTo(BeEmpty())

		states, err := obs.States(ctx, k8sClient)
		Expect(err).NotTo(HaveOccurred())
		Expect(states).To(HaveLen(1))
		Expect(states["default/eg"]).To(Equal(bus.InfraState{
			Ready:     false,
			Addresses: []bus.Address{{Type: "IPAddress", Value: svc.Spec.ClusterIP}},
		}))

		markAvailable("default/eg")
		states, err = obs.States(ctx, k8sClient)
		Expect(err).NotTo(HaveOccurred())
		Expect(states["default/eg"].Ready).To(BeTrue())
	})

	It("reports the load balancer's IP and hostname once the Service has an ingress", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "LoadBalancer")}, nil)).To(Succeed())
		markAvailable("default/eg")

		svc := getService("default/eg")
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.10"}, {Hostname: "lb.example.com"}}
		Expect(k8sClient.Status().Update(ctx, svc)).To(Succeed())

		states, err := obs.States(ctx, k8sClient)
		Expect(err).NotTo(HaveOccurred())
		Expect(states["default/eg"]).To(Equal(bus.InfraState{
			Ready: true,
			Addresses: []bus.Address{
				{Type: "IPAddress", Value: "203.0.113.10"},
				{Type: "Hostname", Value: "lb.example.com"},
			},
		}))
		Expect(obs.Owns(svc)).To(BeTrue())
	})

	It("reports nothing for a fleet that is gone", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "ClusterIP")}, nil)).To(Succeed())
		Expect(m.Reconcile(ctx, nil, nil)).To(Succeed())
		states, err := obs.States(ctx, k8sClient)
		Expect(err).NotTo(HaveOccurred())
		Expect(states).To(BeEmpty())
	})
})

// markAvailable patches the Deployment status as a kube-controller-manager
// would once one Pod is available (envtest runs no controllers).
func markAvailable(fleetName string) {
	d := &appsv1.Deployment{}
	Expect(k8sClient.Get(ctx, key(fleetName), d)).To(Succeed())
	d.Status.ObservedGeneration = d.Generation
	d.Status.Replicas = 1
	d.Status.UpdatedReplicas = 1
	d.Status.ReadyReplicas = 1
	d.Status.AvailableReplicas = 1
	Expect(k8sClient.Status().Update(ctx, d)).To(Succeed())
}
