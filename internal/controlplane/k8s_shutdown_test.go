package controlplane_test

import (
	"fmt"
	"sync"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// errorRecorder is a logr sink that passes everything on to another sink
// and records the messages logged at error level.
type errorRecorder struct {
	logr.LogSink
	name   string
	mu     *sync.Mutex
	errors *[]string
}

func newErrorRecorder(base logr.Logger) (logr.Logger, func() []string) {
	r := &errorRecorder{LogSink: base.GetSink(), mu: &sync.Mutex{}, errors: &[]string{}}
	return logr.New(r), func() []string {
		r.mu.Lock()
		defer r.mu.Unlock()
		return append([]string(nil), *r.errors...)
	}
}

func (r *errorRecorder) Error(err error, msg string, kv ...any) {
	r.mu.Lock()
	*r.errors = append(*r.errors, fmt.Sprintf("%s: %s: %v %v", r.name, msg, err, kv))
	r.mu.Unlock()
	r.LogSink.Error(err, msg, kv...)
}

func (r *errorRecorder) WithName(name string) logr.LogSink {
	out := *r
	out.LogSink = r.LogSink.WithName(name)
	out.name = r.name + "/" + name
	return &out
}

func (r *errorRecorder) WithValues(kv ...any) logr.LogSink {
	out := *r
	out.LogSink = r.LogSink.WithValues(kv...)
	return &out
}

var _ = Describe("Clean shutdown", Ordered, func() {
	const (
		ns    = "shutdown-test"
		class = "shutdown-test"
		// A control plane of its own: its namespace (Lease, fleets) and its
		// controllerName keep the other specs' objects out of its work.
		cpNamespace    = "shutdown-system"
		controllerName = "example.com/shutdown-test"
	)

	It("stops the leader without logging an error and releases the lease", func() {
		ensureNamespace(cpNamespace)
		ensureNamespace(ns)
		GinkgoT().Setenv("ENVOY_GATEWAY_NAMESPACE", cpNamespace)
		// The control plane's logger: the runners, the controller-runtime
		// manager and client-go's leader election log through it. (klog is
		// global, and other specs' control planes may have left goroutines
		// using it: it is not replaced here.)
		log, loggedErrors := newErrorRecorder(logf.Log.WithName("controlplane"))
		cp := startControlPlaneWith(log, controllerName)
		gc := newGatewayClass(class)
		gc.Spec.ControllerName = controllerName
		Expect(k8sClient.Create(ctx, gc)).To(Succeed())
		Expect(k8sClient.Create(ctx, &gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: class,
				Listeners:        []gwapiv1.Listener{{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 8080}},
			},
		})).To(Succeed())
		// Leading: statuses written and the fleet created (its event written,
		// so that no work is in flight when it stops).
		Eventually(func() *metav1.Condition {
			var gw gwapiv1.Gateway
			if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "gw"}, &gw); err != nil {
				return nil
			}
			return meta.FindStatusCondition(gw.Status.Conditions, "Accepted")
		}).Should(haveCondition(metav1.ConditionTrue, "Accepted"))
		Eventually(func() float64 { return adminMetric(cp.admin, leaderGauge) }).Should(Equal(1.0))
		Eventually(eventsAbout(ns, "Gateway", "gw")).Should(ContainElement("Normal FleetCreated"))

		cp.stop() // SIGTERM cancels the same context
		Expect(loggedErrors()).To(BeEmpty())
		var lease coordinationv1.Lease
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: cpNamespace, Name: leaseName}, &lease)).To(Succeed())
		Expect(lease.Spec.HolderIdentity).To(Or(BeNil(), HaveValue(BeEmpty())), "the lease was not released")
	})
})
