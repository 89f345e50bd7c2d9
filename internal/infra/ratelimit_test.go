package infra_test

import (
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

var rateLimitKey = types.NamespacedName{Namespace: namespace, Name: render.RateLimitName}

// rateLimitObjects are empty objects of the service's three kinds.
func rateLimitObjects() []client.Object {
	return []client.Object{&corev1.ServiceAccount{}, &appsv1.Deployment{}, &corev1.Service{}}
}

// withGlobalRateLimit gives a fleet a route with global rate limits.
func withGlobalRateLimit(f *bus.Fleet) *bus.Fleet {
	f.Xds = &ir.Xds{GlobalRateLimit: &ir.GlobalRateLimit{
		Domain: "envoy-gateway", Host: render.RateLimitServiceHost(namespace), Port: render.RateLimitGRPCPort,
		Timeout: ir.Duration(100 * time.Millisecond),
	}}
	return f
}

func expectRateLimitGone() {
	for _, obj := range rateLimitObjects() {
		err := k8sClient.Get(ctx, rateLimitKey, obj)
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "rate limit %T still exists (err %v)", obj, err)
	}
}

var _ = Describe("Manager with rate limiting", func() {
	var m *infra.Manager

	BeforeEach(func() {
		var err error
		m, err = infra.NewManager(infra.Options{
			Client: k8sClient,
			Render: render.DefaultOptions(namespace),
			Logger: logr.Discard(),
			RateLimit: &egv1a1.RateLimit{
				Backend:    egv1a1.RateLimitBackend{Redis: &egv1a1.RateLimitRedis{URL: "redis.redis-system.svc:6379"}},
				Deployment: &egv1a1.RateLimitDeployment{Image: egv1a1.DefaultRateLimitImage, Replicas: new(int32(2))},
				Timeout:    "100ms",
			},
		})
		Expect(err).NotTo(HaveOccurred())
	})

	AfterEach(func() {
		Expect(m.Reconcile(ctx, nil, nil)).To(Succeed())
		expectRateLimitGone()
	})

	It("runs the rate limit service only while a fleet has global rate limits", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "ClusterIP")}, nil)).To(Succeed())
		expectRateLimitGone()

		fleets := []*bus.Fleet{withGlobalRateLimit(fleet("default/eg", "ClusterIP")), fleet("default/other", "ClusterIP")}
		Expect(m.Reconcile(ctx, fleets, nil)).To(Succeed())
		for _, obj := range rateLimitObjects() {
			Expect(k8sClient.Get(ctx, rateLimitKey, obj)).To(Succeed(), "%T", obj)
			Expect(obj.GetLabels()).To(Equal(render.RateLimitLabels()))
		}
		dep := &appsv1.Deployment{}
		Expect(k8sClient.Get(ctx, rateLimitKey, dep)).To(Succeed())
		Expect(*dep.Spec.Replicas).To(Equal(int32(2)))
		Expect(dep.Spec.Template.Spec.Containers[0].Env).To(ContainElement(
			corev1.EnvVar{Name: "CONFIG_GRPC_XDS_SERVER_URL", Value: "envoy-gateway-controller-manager." + namespace + ".svc:18000"}))
		svc := &corev1.Service{}
		Expect(k8sClient.Get(ctx, rateLimitKey, svc)).To(Succeed())
		Expect(svc.Spec.Ports[0].Port).To(Equal(int32(render.RateLimitGRPCPort)))

		// The rate limit service is not a fleet: pruning fleets leaves it.
		Expect(m.Reconcile(ctx, fleets[:1], nil)).To(Succeed())
		expectGone("default/other")
		Expect(k8sClient.Get(ctx, rateLimitKey, &appsv1.Deployment{})).To(Succeed())

		// The last global limit goes: the service goes, the fleet stays.
		Expect(m.Reconcile(ctx, []*bus.Fleet{fleet("default/eg", "ClusterIP")}, nil)).To(Succeed())
		expectRateLimitGone()
		Expect(k8sClient.Get(ctx, key("default/eg"), &appsv1.Deployment{})).To(Succeed())
	})

	It("keeps the rate limit service while a GatewayClass is frozen", func() {
		Expect(m.Reconcile(ctx, []*bus.Fleet{withGlobalRateLimit(fleet("default/eg", "ClusterIP"))}, nil)).To(Succeed())
		Expect(k8sClient.Get(ctx, rateLimitKey, &appsv1.Deployment{})).To(Succeed())
		Expect(m.Reconcile(ctx, nil, []string{"eg"})).To(Succeed())
		Expect(k8sClient.Get(ctx, rateLimitKey, &appsv1.Deployment{})).To(Succeed())
	})

	It("reports a fleet with global rate limits when rate limiting is not configured", func() {
		plain := newManager()
		err := plain.Reconcile(ctx, []*bus.Fleet{withGlobalRateLimit(fleet("default/eg", "ClusterIP"))}, nil)
		Expect(err).To(MatchError(ContainSubstring("rate limiting is not configured")))
		expectRateLimitGone()
		Expect(k8sClient.Get(ctx, key("default/eg"), &appsv1.Deployment{})).To(Succeed(), "the fleet is applied anyway")
	})
})
