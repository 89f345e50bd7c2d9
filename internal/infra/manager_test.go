package infra_test

import (
	"context"
	"maps"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// fleet returns a fleet of one Gateway "<ns>/<name>" with one listener.
func fleet(name string, serviceType string) *bus.Fleet {
	return &bus.Fleet{Name: name, Infra: &ir.Infra{Proxy: &ir.ProxyInfra{
		Name:         name,
		GatewayClass: "eg",
		Gateways:     []string{name},
		Config: ir.ProxyConfig{
			ServiceType: serviceType,
			Replicas:    1,
			Image:       "docker.io/envoyproxy/envoy:distroless-v1.36.2",
			LogLevel:    "warn",
		},
		Listeners: []*ir.ProxyListener{{Name: "http-80", Port: 80, ContainerPort: 10080, Protocol: ir.ProtocolTCP}},
	}}}
}

func newManager() *infra.Manager {
	m, err := infra.NewManager(infra.Options{
		Client: k8sClient,
		Render: render.DefaultOptions(namespace),
		Logger: logr.Discard(),
	})
	Expect(err).NotTo(HaveOccurred())
	return m
}

func key(fleetName string) types.NamespacedName {
	return types.NamespacedName{Namespace: namespace, Name: render.ResourceName(fleetName)}
}

// fleetObjects are empty objects of the four kinds, to Get into.
func fleetObjects() []client.Object {
	return []client.Object{&corev1.ServiceAccount{}, &corev1.ConfigMap{}, &appsv1.Deployment{}, &corev1.Service{}}
}

func getService(fleetName string) *corev1.Service {
	svc := &corev1.Service{}
	Expect(k8sClient.Get(ctx, key(fleetName), svc)).To(Succeed())
	return svc
}

// applyCounter counts the server-side applies of a client.
type applyCounter struct {
	client.Client
	applies atomic.Int64
}

func (c *applyCounter) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	c.applies.Add(1)
	return c.Client.Apply(ctx, obj, opts...)
}

// egResourceVersions returns the resourceVersion of each object of fleet default/eg.
func egResourceVersions() map[string]string {
	out := map[string]string{}
	for _, obj := range fleetObjects() {
		Expect(k8sClient.Get(ctx, key("default/eg"), obj)).To(Succeed())
		out[client.ObjectKeyFromObject(obj).String()+" "+typeName(obj)] = obj.GetResourceVersion()
	}
	return out
}

func typeName(obj client.Object) string {
	switch obj.(type) {
	case *corev1.ServiceAccount:
		return "ServiceAccount"
	case *corev1.ConfigMap:
		return "ConfigMap"
	case *appsv1.Deployment:
		return "Deployment"
	default:
		return "Service"
	}
}

func expectGone(fleetName string) {
	for _, obj := range fleetObjects() {
		err := k8sClient.Get(ctx, key(fleetName), obj)
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%s of %s still exists (err %v)", typeName(obj), fleetName, err)
	}
}

var _ = Describe("Manager", func() {
	var m *infra.Manager

	BeforeEach(func() {
		m = newManager()
	})

	AfterEach(func() {
		Expect(m.Reconcile(ctx, nil, nil)).To(Succeed())
	})

	It("creates the four objects of a fleet with the Service type of the IR, as field manager envoy-gateway", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "LoadBalancer")}, nil)).To(Succeed())

		for _, obj := range fleetObjects() {
			Expect(k8sClient.Get(ctx, key("default/eg"), obj)).To(Succeed(), typeName(obj))
			Expect(obj.GetLabels()).To(HaveKeyWithValue(render.LabelFleet, render.ResourceName("default/eg")))
			Expect(obj.GetAnnotations()).To(HaveKeyWithValue(render.AnnotationFleetName, "default/eg"))
			managers := []string{}
			for _, mf := range obj.GetManagedFields() {
				if mf.Operation == "Apply" {
					managers = append(managers, mf.Manager)
				}
			}
			Expect(managers).To(ConsistOf(infra.FieldManager), typeName(obj))
		}
		svc := getService("default/eg")
		Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeLoadBalancer))
		Expect(svc.Spec.Ports).To(HaveLen(1))
		Expect(svc.Spec.Ports[0].Port).To(BeEquivalentTo(80))
		Expect(svc.Spec.Ports[0].TargetPort.IntValue()).To(Equal(10080))
	})

	It("updates the Service when the IR switches to NodePort, then ClusterIP", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "LoadBalancer")}, nil)).To(Succeed())

		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "NodePort")}, nil)).To(Succeed())
		svc := getService("default/eg")
		Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeNodePort))
		Expect(svc.Spec.Ports[0].NodePort).NotTo(BeZero())

		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "ClusterIP")}, nil)).To(Succeed())
		svc = getService("default/eg")
		Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeClusterIP))
		Expect(svc.Spec.Ports[0].NodePort).To(BeZero())
	})

	It("keeps the node ports of the ports that stay, whatever else changes", func() {
		nodePorts := func() map[int32]int32 {
			out := map[int32]int32{}
			for _, p := range getService("default/eg").Spec.Ports {
				out[p.Port] = p.NodePort
			}
			return out
		}
		f := fleet("default/eg", "NodePort")
		Expect(m.Reconcile(ctx, []*bus.Fleet{f}, nil)).To(Succeed())
		first := nodePorts()[80]
		Expect(first).NotTo(BeZero())

		By("adding a port before it")
		f = fleet("default/eg", "NodePort")
		f.Infra.Proxy.Listeners = append([]*ir.ProxyListener{{Name: "http-8", Port: 8, ContainerPort: 10008, Protocol: ir.ProtocolTCP}},
			f.Infra.Proxy.Listeners...)
		Expect(m.Reconcile(ctx, []*bus.Fleet{f}, nil)).To(Succeed())
		Expect(nodePorts()).To(HaveKeyWithValue(int32(80), first))
		second := nodePorts()[8]

		By("switching to a LoadBalancer and renaming the port")
		f = fleet("default/eg", "LoadBalancer")
		f.Infra.Proxy.Listeners = []*ir.ProxyListener{
			{Name: "tcp-8", Port: 8, ContainerPort: 10008, Protocol: ir.ProtocolTCP},
			{Name: "web-80", Port: 80, ContainerPort: 10080, Protocol: ir.ProtocolTCP},
		}
		Expect(m.Reconcile(ctx, []*bus.Fleet{f}, nil)).To(Succeed())
		Expect(nodePorts()).To(Equal(map[int32]int32{80: first, 8: second}))

		By("changing the replicas and the annotations")
		f.Infra.Proxy.Config.Replicas = 2
		f.Infra.Proxy.Config.ServiceAnnotations = map[string]string{"example.com/lb": "internal"}
		Expect(m.Reconcile(ctx, []*bus.Fleet{f}, nil)).To(Succeed())
		Expect(nodePorts()).To(Equal(map[int32]int32{80: first, 8: second}))
	})

	It("changes nothing when the same IR is applied again", func() {
		fleets := []*bus.Fleet{fleet("default/eg", "LoadBalancer")}
		Expect(m.Reconcile(ctx, fleets, nil)).To(Succeed())
		before := egResourceVersions()

		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "LoadBalancer")}, nil)).To(Succeed())
		Expect(egResourceVersions()).To(Equal(before))
	})

	It("rolls the Deployment when the image changes", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "LoadBalancer")}, nil)).To(Succeed())
		f := fleet("default/eg", "LoadBalancer")
		f.Infra.Proxy.Config.Image = "envoy:custom"
		f.Infra.Proxy.Config.Replicas = 3
		Expect(m.Reconcile(ctx, []*bus.Fleet{f}, nil)).To(Succeed())

		d := &appsv1.Deployment{}
		Expect(k8sClient.Get(ctx, key("default/eg"), d)).To(Succeed())
		Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal("envoy:custom"))
		Expect(*d.Spec.Replicas).To(BeEquivalentTo(3))
	})

	It("deletes the objects of a fleet that is gone and keeps the others", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{
			fleet("default/eg", "LoadBalancer"), fleet("team/other", "ClusterIP"),
		}, nil)).To(Succeed())

		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("team/other", "ClusterIP")}, nil)).To(Succeed())
		expectGone("default/eg")
		Expect(getService("team/other").Spec.Type).To(Equal(corev1.ServiceTypeClusterIP))
	})

	It("deletes the Service of a fleet left without listeners", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "LoadBalancer")}, nil)).To(Succeed())
		f := fleet("default/eg", "LoadBalancer")
		f.Infra.Proxy.Listeners = nil
		Expect(m.Reconcile(ctx, []*bus.Fleet{f}, nil)).To(Succeed())

		err := k8sClient.Get(ctx, key("default/eg"), &corev1.Service{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue())
		Expect(k8sClient.Get(ctx, key("default/eg"), &appsv1.Deployment{})).To(Succeed())
	})

	It("leaves a fleet that fails to render running and still reconciles the others", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "LoadBalancer")}, nil)).To(Succeed())
		before := egResourceVersions()

		broken := fleet("default/eg", "LoadBalancer")
		broken.Infra.Proxy.Config.Image = ""
		err := m.Reconcile(ctx, []*bus.Fleet{broken, fleet("team/new", "NodePort")}, nil)
		Expect(err).To(MatchError(ContainSubstring(`fleet "default/eg"`)))

		Expect(egResourceVersions()).To(Equal(before))
		Expect(getService("team/new").Spec.Type).To(Equal(corev1.ServiceTypeNodePort))
	})

	It("keeps the fleets of a frozen GatewayClass untouched", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "LoadBalancer")}, nil)).To(Succeed())
		before := egResourceVersions()

		// The class "eg" is not accepted any more: its fleet is absent from the
		// result but must keep running.
		Expect(m.Reconcile(ctx, nil, []string{"eg"})).To(Succeed())
		Expect(egResourceVersions()).To(Equal(before))

		Expect(m.Reconcile(ctx, nil, nil)).To(Succeed())
		expectGone("default/eg")
	})

	It("puts back a field changed by hand on the next reconcile", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "LoadBalancer")}, nil)).To(Succeed())
		d := &appsv1.Deployment{}
		Expect(k8sClient.Get(ctx, key("default/eg"), d)).To(Succeed())
		d.Spec.Template.Spec.Containers[0].Image = "tampered"
		Expect(k8sClient.Update(ctx, d, client.FieldOwner("someone-else"))).To(Succeed())

		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "LoadBalancer")}, nil)).To(Succeed())
		Expect(k8sClient.Get(ctx, key("default/eg"), d)).To(Succeed())
		Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal("docker.io/envoyproxy/envoy:distroless-v1.36.2"))
	})

	It("reconciles a fleet set again only when its infra or the observed states changed, or when told", func() {
		counter := &applyCounter{Client: k8sClient}
		counted, err := infra.NewManager(infra.Options{Client: counter, Render: render.DefaultOptions(namespace), Logger: logr.Discard()})
		Expect(err).NotTo(HaveOccurred())
		states := map[string]bus.InfraState{}
		r := infra.NewRunner(infra.RunnerOptions{Manager: counted, Fleets: newFleets(), Logger: logr.Discard(),
			Observed: func(context.Context) (map[string]bus.InfraState, error) { return maps.Clone(states), nil }})
		withXds := func(f *bus.Fleet, routes int) *bus.FleetSet {
			f.Xds = &ir.Xds{}
			for range routes {
				f.Xds.HTTP = append(f.Xds.HTTP, &ir.HTTPListener{Name: "http-80"})
			}
			return &bus.FleetSet{Fleets: []*bus.Fleet{f}}
		}
		step := func(set *bus.FleetSet, done *infra.InfraInput) (*infra.InfraInput, bool, int64) {
			before := counter.applies.Load()
			in, reconciled, err := r.ReconcileOnce(ctx, set, done)
			Expect(err).NotTo(HaveOccurred())
			return in, reconciled, counter.applies.Load() - before
		}

		in, reconciled, applies := step(withXds(fleet("default/eg", "NodePort"), 1), nil)
		Expect(reconciled).To(BeTrue())
		Expect(applies).To(BeNumerically(">", 0))

		By("skipping a set whose xDS IR alone changed (a route change)")
		in, reconciled, applies = step(withXds(fleet("default/eg", "NodePort"), 2), in)
		Expect(reconciled).To(BeFalse())
		Expect(applies).To(BeZero())

		By("reconciling when the observed states change (a Deployment deleted, a fleet turning ready)")
		states["default/eg"] = bus.InfraState{Ready: true}
		in, reconciled, _ = step(withXds(fleet("default/eg", "NodePort"), 2), in)
		Expect(reconciled).To(BeTrue())

		By("reconciling when the infra IR changes")
		_, reconciled, _ = step(withXds(fleet("default/eg", "ClusterIP"), 2), in)
		Expect(reconciled).To(BeTrue())
		svc := &corev1.Service{}
		Expect(k8sClient.Get(ctx, key("default/eg"), svc)).To(Succeed())
		Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeClusterIP))

		By("reconciling an unchanged set when nothing was reconciled (a resync, a retry)")
		_, reconciled, applies = step(withXds(fleet("default/eg", "ClusterIP"), 2), nil)
		Expect(reconciled).To(BeTrue())
		Expect(applies).To(BeNumerically(">", 0))
	})

	It("is driven by the Runner from published fleet sets", func() {
		fleets := newFleets()
		runCtx, stop := contextWithCancel()
		defer stop()
		r := infra.NewRunner(infra.RunnerOptions{Manager: m, Fleets: fleets, Logger: logr.Discard(), RetryInterval: time.Second})
		done := make(chan error, 1)
		go func() { done <- r.Start(runCtx) }()

		fleets.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("default/eg", "NodePort")}})
		Eventually(func() (corev1.ServiceType, error) {
			svc := &corev1.Service{}
			err := k8sClient.Get(ctx, key("default/eg"), svc)
			return svc.Spec.Type, err
		}).Should(Equal(corev1.ServiceTypeNodePort))

		fleets.Publish(&bus.FleetSet{})
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, key("default/eg"), &appsv1.Deployment{}))
		}).Should(BeTrue())

		stop()
		Eventually(done).Should(Receive(BeNil()))
	})
})
