package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiv1a2 "sigs.k8s.io/gateway-api/apis/v1alpha2"
	gwapiv1a3 "sigs.k8s.io/gateway-api/apis/v1alpha3"
	gwapixv1a1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/config"
	"github.com/envoygw/envoy-gateway/internal/controlplane"
	"github.com/envoygw/envoy-gateway/internal/testenv"
)

// GatewayClassName is the GatewayClass the suite's Gateways use.
const GatewayClassName = "gateway-conformance"

// suiteNamespaces are the namespaces of the suite's workloads (the base
// manifests' backends), for the workload stand-in.
const suiteNamespaces = "gateway-conformance-*"

// HarnessOptions configure a Harness.
type HarnessOptions struct {
	// Log receives the logs of the control plane and the workload stand-in.
	Log io.Writer
}

// Harness is an envtest API server with the Gateway API standard CRDs and
// ours, our control plane running in this process against it, the
// GatewayClass GatewayClassName, and the workload stand-in.
type Harness struct {
	// RestConfig and Client reach the envtest API server; the Client's
	// scheme has every type the suite uses.
	RestConfig *rest.Config
	Client     client.Client

	env     *envtest.Environment
	log     logr.Logger
	cancel  context.CancelFunc
	done    chan error
	running int
}

// Scheme returns a scheme with the Kubernetes, Gateway API (every version
// the suite reads) and CRD types.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	err := errors.Join(clientgoscheme.AddToScheme(s), gwapiv1.Install(s), gwapiv1a2.Install(s), gwapiv1a3.Install(s),
		gwapixv1a1.Install(s), apiextensionsv1.AddToScheme(s), egv1a1.AddToScheme(s))
	return s, err
}

// StartHarness starts envtest, the workload stand-in and our control plane,
// creates the GatewayClass and waits until the class is accepted and lists
// its supported features. Stop stops everything.
func StartHarness(ctx context.Context, opts HarnessOptions) (h *Harness, err error) {
	h = &Harness{done: make(chan error, 2)}
	if h.env, err = testenv.NewEnvironment(); err != nil {
		return nil, err
	}
	if h.RestConfig, err = h.env.Start(); err != nil {
		return nil, fmt.Errorf("starting envtest: %w", err)
	}
	defer func() {
		if err != nil {
			_ = h.Stop()
		}
	}()
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	if h.Client, err = client.New(h.RestConfig, client.Options{Scheme: scheme}); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	h.cancel = cancel
	h.log = zap.New(zap.WriteTo(opts.Log), zap.UseDevMode(true))
	logf.SetLogger(h.log) // controller-runtime's own logs (informers, leader election)
	if err = h.startRunners(runCtx); err != nil {
		return nil, err
	}
	if err = h.createGatewayClass(ctx); err != nil {
		return nil, err
	}
	return h, h.waitForGatewayClass(ctx, 2*time.Minute)
}

// startRunners creates the control plane's namespace and starts the
// workload stand-in and the control plane.
func (h *Harness) startRunners(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlPlaneNamespace()}}
	if err := h.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	workload, err := NewWorkload(h.RestConfig, WorkloadOptions{
		Namespaces: []string{suiteNamespaces, controlPlaneNamespace()},
		Logger:     h.log.WithName("workload-standin"),
	})
	if err != nil {
		return err
	}
	cp, err := newControlPlane(h.RestConfig, h.log.WithName("controlplane"))
	if err != nil {
		return err
	}
	h.running = 2
	go func() { h.done <- workload.Start(ctx) }()
	go func() { h.done <- cp.Run(ctx) }()
	return nil
}

// controlPlaneNamespace is where the control plane runs its Envoy fleets:
// ENVOY_GATEWAY_NAMESPACE, as for the control plane itself, or the default.
func controlPlaneNamespace() string {
	if ns := os.Getenv("ENVOY_GATEWAY_NAMESPACE"); ns != "" {
		return ns
	}
	return controlplane.DefaultNamespace
}

// newControlPlane builds our control plane with the Kubernetes provider and
// plaintext xDS on a free loopback port (nothing connects to it).
func newControlPlane(cfg *rest.Config, log logr.Logger) (*controlplane.ControlPlane, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	staticCfg, err := config.Parse(fmt.Appendf(nil, `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
gateway:
  controllerName: %s
provider:
  type: Kubernetes
xdsServer:
  address: 127.0.0.1
  port: %d
  plaintext: true
admin:
  address: 127.0.0.1:0
`, egv1a1.DefaultControllerName, port))
	if err != nil {
		return nil, err
	}
	return controlplane.New(controlplane.Options{
		Config:     staticCfg,
		Logger:     log,
		RestConfig: cfg,
		Registry:   prometheus.NewRegistry(),
	})
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// createGatewayClass installs the GatewayClass, as an installation of the
// control plane would.
func (h *Harness) createGatewayClass(ctx context.Context) error {
	gc := &gwapiv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: GatewayClassName},
		Spec:       gwapiv1.GatewayClassSpec{ControllerName: egv1a1.DefaultControllerName},
	}
	if err := h.Client.Create(ctx, gc); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// waitForGatewayClass waits until the control plane has accepted the class
// and listed its supported features, which the suite reads.
func (h *Harness) waitForGatewayClass(ctx context.Context, timeout time.Duration) error {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		var gc gwapiv1.GatewayClass
		if err := h.Client.Get(ctx, client.ObjectKey{Name: GatewayClassName}, &gc); err != nil {
			return false, nil
		}
		return meta.IsStatusConditionTrue(gc.Status.Conditions, string(gwapiv1.GatewayClassConditionStatusAccepted)) &&
			len(gc.Status.SupportedFeatures) > 0, nil
	})
	if err != nil {
		return fmt.Errorf("GatewayClass %s was not accepted with supported features: %w", GatewayClassName, err)
	}
	return nil
}

// Stop stops the control plane and the workload stand-in, then envtest.
func (h *Harness) Stop() error {
	var errs []error
	if h.cancel != nil {
		h.cancel()
		for range h.running {
			select {
			case err := <-h.done:
				errs = append(errs, err)
			case <-time.After(30 * time.Second):
				errs = append(errs, errors.New("a runner did not stop within 30s"))
			}
		}
	}
	if h.env != nil {
		errs = append(errs, h.env.Stop())
	}
	return errors.Join(errs...)
}
