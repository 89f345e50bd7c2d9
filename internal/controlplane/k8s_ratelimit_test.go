package controlplane_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	logf "sigs.k8s.io/controller-runtime/pkg/log"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// rateLimitDeployments lists the rate limit service's Deployments.
func rateLimitDeployments() []appsv1.Deployment {
	var list appsv1.DeploymentList
	Expect(k8sClient.List(ctx, &list, client.InNamespace("envoy-gateway-system"),
		client.MatchingLabels(render.RateLimitLabels()))).To(Succeed())
	return list.Items
}

func globalFilter(ns, name string) *egv1a1.RateLimitFilter {
	return &egv1a1.RateLimitFilter{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: egv1a1.RateLimitFilterSpec{Type: egv1a1.RateLimitTypeGlobal, Global: &egv1a1.RateLimitRules{Rules: []egv1a1.RateLimitRule{{
			ClientSelectors: []egv1a1.RateLimitSelector{{Header: &egv1a1.HeaderSelector{Name: "x-user-id", Type: egv1a1.MatchTypeDistinct}}},
			Limit:           egv1a1.RateLimitValue{Requests: 10, Unit: egv1a1.RateLimitUnitMinute},
		}}}},
	}
}

func rateLimitFilterRef(name string) gwapiv1.HTTPRouteFilter {
	return gwapiv1.HTTPRouteFilter{Type: gwapiv1.HTTPRouteFilterExtensionRef, ExtensionRef: &gwapiv1.LocalObjectReference{
		Group: gwapiv1.Group(egv1a1.GroupVersion.Group), Kind: egv1a1.KindRateLimitFilter, Name: gwapiv1.ObjectName(name),
	}}
}

var _ = Describe("Global rate limiting", Ordered, func() {
	const (
		ns    = "ratelimit-test"
		class = "ratelimit-test"
	)
	var route *gwapiv1.HTTPRoute

	BeforeAll(func() {
		ensureNamespace("envoy-gateway-system")
		ensureNamespace(ns)
		cp := startControlPlaneWithConfig(logf.Log.WithName("controlplane"), egv1a1.DefaultControllerName, "rateLimit:\n  backend:\n    redis:\n      url: redis.redis-system.svc:6379\n")
		DeferCleanup(func() { cp.stop() })
		Expect(k8sClient.Create(ctx, newGatewayClass(class))).To(Succeed())
		Expect(k8sClient.Create(ctx, &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eg"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: class,
				Listeners:        []gwapiv1.Listener{{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 80}},
			},
		})).To(Succeed())
		Expect(k8sClient.Create(ctx, backendService(ns, "backend", 8080))).To(Succeed())
	})

	It("answers a rule naming a missing RateLimitFilter with BackendNotFound, and runs no service", func() {
		route = httpRouteTo(ns, "limited", "eg", nil, "backend", 8080)
		route.Spec.Rules[0].Filters = []gwapiv1.HTTPRouteFilter{rateLimitFilterRef("per-user")}
		Expect(k8sClient.Create(ctx, route)).To(Succeed())
		Eventually(routeParentCondition(ns, "limited", "ResolvedRefs")).Should(haveCondition(metav1.ConditionFalse, "BackendNotFound"))
		Consistently(countOf(rateLimitDeployments), "1s").Should(Equal(0))
	})

	It("provisions the rate limit service once the filter exists", func() {
		Expect(k8sClient.Create(ctx, globalFilter(ns, "per-user"))).To(Succeed())
		Eventually(routeParentCondition(ns, "limited", "ResolvedRefs")).Should(haveCondition(metav1.ConditionTrue, "ResolvedRefs"))
		Eventually(routeParentCondition(ns, "limited", "Accepted")).Should(haveCondition(metav1.ConditionTrue, "Accepted"))
		Eventually(countOf(rateLimitDeployments)).Should(Equal(1))
		// The Deployment, Service and ServiceAccount are applied one after the other.
		for _, obj := range []client.Object{&corev1.Service{}, &corev1.ServiceAccount{}} {
			Eventually(func() error {
				return k8sClient.Get(ctx, client.ObjectKey{Namespace: "envoy-gateway-system", Name: render.RateLimitName}, obj)
			}).Should(Succeed())
		}
	})

	It("removes the rate limit service when the last global limit goes", func() {
		update(route, func() { route.Spec.Rules[0].Filters = nil })
		Eventually(countOf(rateLimitDeployments)).Should(Equal(0))
		Eventually(func() bool {
			err := k8sClient.Get(ctx, client.ObjectKey{Namespace: "envoy-gateway-system", Name: render.RateLimitName}, &corev1.Service{})
			return apierrors.IsNotFound(err)
		}).Should(BeTrue())
	})
})

var _ = Describe("RateLimitFilter CRD", func() {
	It("accepts a valid filter and applies the defaults", func() {
		f := globalFilter("default", "valid")
		f.Spec.Global.Rules[0].ClientSelectors = append(f.Spec.Global.Rules[0].ClientSelectors,
			egv1a1.RateLimitSelector{SourceCIDR: &egv1a1.SourceCIDRSelector{Value: "10.0.0.0/8"}})
		Expect(k8sClient.Create(ctx, f)).To(Succeed())
		DeferCleanup(func() { Expect(k8sClient.Delete(ctx, f)).To(Succeed()) })
		got := &egv1a1.RateLimitFilter{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(f), got)).To(Succeed())
		Expect(got.Spec.Global.Rules[0].ClientSelectors[1].SourceCIDR.Type).To(Equal(egv1a1.MatchTypeExact))
	})

	DescribeTable("rejects invalid filters",
		func(mutate func(*egv1a1.RateLimitFilter), message string) {
			f := globalFilter("default", "invalid")
			mutate(f)
			err := k8sClient.Create(ctx, f)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "err = %v", err)
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("type Local with global rules", func(f *egv1a1.RateLimitFilter) { f.Spec.Type = egv1a1.RateLimitTypeLocal },
			"global must be set, and local not, when type is Global"),
		Entry("an empty selector", func(f *egv1a1.RateLimitFilter) {
			f.Spec.Global.Rules[0].ClientSelectors = []egv1a1.RateLimitSelector{{}}
		}, "exactly one of header and sourceCIDR must be set"),
		Entry("an exact header without a value", func(f *egv1a1.RateLimitFilter) {
			f.Spec.Global.Rules[0].ClientSelectors[0].Header.Type = egv1a1.MatchTypeExact
		}, "value must be set when type is Exact"),
		Entry("a bad CIDR", func(f *egv1a1.RateLimitFilter) {
			f.Spec.Global.Rules[0].ClientSelectors = []egv1a1.RateLimitSelector{{SourceCIDR: &egv1a1.SourceCIDRSelector{Value: "10.0.0.300/8"}}}
		}, "value must be a CIDR"),
		Entry("two CIDRs", func(f *egv1a1.RateLimitFilter) {
			f.Spec.Global.Rules[0].ClientSelectors = []egv1a1.RateLimitSelector{
				{SourceCIDR: &egv1a1.SourceCIDRSelector{Value: "10.0.0.0/8"}}, {SourceCIDR: &egv1a1.SourceCIDRSelector{Value: "10.1.0.0/16"}},
			}
		}, "at most one client selector may be a sourceCIDR"),
		Entry("a header name with a space", func(f *egv1a1.RateLimitFilter) {
			f.Spec.Global.Rules[0].ClientSelectors[0].Header.Name = "x user"
		}, "clientSelectors[0].header.name"),
		Entry("zero requests", func(f *egv1a1.RateLimitFilter) { f.Spec.Global.Rules[0].Limit.Requests = 0 }, "limit.requests"),
		Entry("no rules", func(f *egv1a1.RateLimitFilter) { f.Spec.Global.Rules = nil }, "spec.global.rules"),
	)
})
