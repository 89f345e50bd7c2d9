package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
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
	"github.com/envoygw/envoy-gateway/internal/controlplane"
	"github.com/envoygw/envoy-gateway/internal/testenv"
	"github.com/envoygw/envoy-gateway/test/cluster"
)

// GatewayClassName is the GatewayClass the suite's Gateways use.
const GatewayClassName = "gateway-conformance"

// HarnessOptions configure a Harness.
type HarnessOptions struct {
	// Log receives the logs of the control plane and the simulated cluster.
	Log io.Writer
}

// Harness is an envtest API server with the Gateway API standard CRDs and
// ours, a simulated cluster around it (test/cluster: Pods really run, in
// this process), our control plane installed as `make deploy` installs it
// (xDS with mutual TLS, on an address of its own), and the GatewayClass
// GatewayClassName.
type Harness struct {
	// RestConfig and Client reach the envtest API server; the Client's
	// scheme has every type the suite uses.
	RestConfig *rest.Config
	Client     client.Client
	// Cluster is the simulated cluster; Network its addresses.
	Cluster *cluster.Cluster
	Network *cluster.Network

	env     *envtest.Environment
	dir     string
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

// StartHarness claims a Network, starts envtest configured for the
// simulated cluster, the cluster, and our control plane, creates the
// GatewayClass and waits until the class is accepted and lists its
// supported features. Stop stops everything.
func StartHarness(ctx context.Context, opts HarnessOptions) (h *Harness, err error) {
	h = &Harness{done: make(chan error, 1)}
	h.log = zap.New(zap.WriteTo(opts.Log), zap.UseDevMode(true))
	logf.SetLogger(h.log) // controller-runtime's own logs (informers, leader election)
	defer func() {
		if err != nil {
			err = errors.Join(err, h.Stop())
		}
	}()
	if err = h.startCluster(); err != nil {
		return h, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	h.cancel = cancel
	if err = h.Cluster.Start(runCtx, h.RestConfig); err != nil {
		return h, err
	}
	if err = h.startControlPlane(runCtx); err != nil {
		return h, err
	}
	if err = h.createGatewayClass(ctx); err != nil {
		return h, err
	}
	return h, h.waitForGatewayClass(ctx, 2*time.Minute)
}

// startCluster claims the Network, prepares the cluster, and starts
// envtest with the API server flags it needs.
func (h *Harness) startCluster() (err error) {
	if h.dir, err = os.MkdirTemp("", "conformance-harness-"); err != nil {
		return err
	}
	if h.Network, err = cluster.ClaimNetwork(); err != nil {
		return err
	}
	h.Cluster, err = cluster.New(cluster.Options{
		Network: h.Network, Images: Images(), CertDir: filepath.Join(h.dir, "kubelet"), Logger: h.log.WithName("cluster"),
	})
	if err != nil {
		return err
	}
	if h.env, err = testenv.NewEnvironment(); err != nil {
		return err
	}
	h.Cluster.ConfigureAPIServer(h.env)
	if h.RestConfig, err = h.env.Start(); err != nil {
		return fmt.Errorf("starting envtest: %w", err)
	}
	scheme, err := Scheme()
	if err != nil {
		return err
	}
	h.Client, err = client.New(h.RestConfig, client.Options{Scheme: scheme})
	return err
}

// startControlPlane installs the control plane's Secrets and Service and
// runs it.
func (h *Harness) startControlPlane(ctx context.Context) error {
	inst, err := installControlPlane(ctx, h.Client, h.Network, h.dir)
	if err != nil {
		return err
	}
	cp, err := inst.newControlPlane(h.RestConfig, h.log.WithName("controlplane"))
	if err != nil {
		return err
	}
	h.running = 1
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

// Stop stops the control plane, the cluster (every container it runs)
// and envtest, and gives the Network back.
func (h *Harness) Stop() error {
	var errs []error
	if h.cancel != nil {
		h.cancel()
		for range h.running {
			select {
			case err := <-h.done:
				errs = append(errs, err)
			case <-time.After(30 * time.Second):
				errs = append(errs, errors.New("the control plane did not stop within 30s"))
			}
		}
		h.cancel = nil
	}
	if h.Cluster != nil {
		errs = append(errs, h.Cluster.Stop())
	}
	if h.env != nil && h.RestConfig != nil {
		errs = append(errs, h.env.Stop())
	}
	if h.Network != nil {
		errs = append(errs, h.Network.Release())
	}
	if h.dir != "" {
		errs = append(errs, os.RemoveAll(h.dir))
	}
	return errors.Join(errs...)
}
