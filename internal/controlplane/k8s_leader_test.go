package controlplane_test

import (
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc/credentials/insecure"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

// The lease the control plane's replicas compete for (see internal/controlplane).
const leaseName = "5b9825d2.gateway.envoyproxy.io"

var _ = Describe("Leader election", Ordered, func() {
	const (
		ns    = "leader-test"
		class = "leader-test"
	)
	var cp *runningControlPlane

	BeforeAll(func() {
		ensureNamespace("envoy-gateway-system")
		ensureNamespace(ns)
		// Another replica holds the lease for an hour.
		now := metav1.NewMicroTime(time.Now())
		lease := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: "envoy-gateway-system", Name: leaseName},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       new("another-replica"),
				LeaseDurationSeconds: ptr.To[int32](3600),
				AcquireTime:          &now,
				RenewTime:            &now,
			},
		}
		existing := &coordinationv1.Lease{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(lease), existing); err == nil {
			update(existing, func() { existing.Spec = lease.Spec })
		} else {
			Expect(k8sClient.Create(ctx, lease)).To(Succeed())
		}
		cp = startControlPlane()
		DeferCleanup(func() { cp.stop() })
		DeferCleanup(func() {
			// Whatever happened, do not leave the lease to "another-replica".
			_ = client.IgnoreNotFound(k8sClient.Delete(ctx, lease))
		})
	})

	It("serves xDS but writes no status while another replica leads", func() {
		Expect(k8sClient.Create(ctx, newGatewayClass(class))).To(Succeed())
		Expect(k8sClient.Create(ctx, &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: class,
				Listeners:        []gwapiv1.Listener{{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 8080}},
			},
		})).To(Succeed())
		envoy, err := xdstest.Dial(cp.xdsAddr, ns+"/gw", insecure.NewCredentials())
		Expect(err).NotTo(HaveOccurred())
		defer envoy.Close()
		Eventually(func() []string { return envoy.Names(resourcev3.ListenerType) }).Should(ConsistOf("listener/0.0.0.0/8080"))
		// This replica has never led (it runs the status writer only while
		// leading), and the CRD's default status (Accepted=Unknown, Pending)
		// is as it was.
		Expect(adminMetric(cp.admin, leaderTerms)).To(BeZero())
		Expect(adminMetric(cp.admin, leaderGauge)).To(BeZero())
		Expect(gatewayClassAccepted(class)()).To(haveCondition(metav1.ConditionUnknown, "Pending"))
	})

	It("writes status once it becomes the leader", func() {
		Expect(k8sClient.Delete(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: "envoy-gateway-system", Name: leaseName},
		})).To(Succeed())
		Eventually(gatewayClassAccepted(class), "60s").Should(haveCondition(metav1.ConditionTrue, "Accepted"))
		Eventually(gatewayCondition(ns, "gw", "Accepted")).Should(haveCondition(metav1.ConditionTrue, "Accepted"))
	})
})
