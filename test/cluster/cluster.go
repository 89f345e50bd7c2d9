package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// Options configure a Cluster.
type Options struct {
	// Network is the block of addresses the cluster uses; the Cluster does
	// not release it.
	Network *Network
	// Images are the runtimes of the images the kubelet can run; a Pod
	// with another image stays not Ready.
	Images Images
	// Namespaces limit where Deployments and Pods are run: exact names,
	// or prefixes ending in "*". Empty means every namespace.
	Namespaces []string
	// CertDir is an empty directory for the kubelet endpoint's certificates.
	CertDir string
	Logger  logr.Logger
}

// Cluster plays the parts of a Kubernetes cluster that envtest lacks, for
// workloads and Services: the Deployment controller, the scheduler and a
// Node's kubelet (which runs containers in this process, see Images), the
// endpoint slice controller, the cluster DNS, kube-proxy and a cloud load
// balancer. It reads and writes Pods, Deployments, EndpointSlices, Nodes
// and Service status only, through the API.
type Cluster struct {
	opts  Options
	certs *kubeletCerts
	logs  *logStore
	probs *problems

	cancel  context.CancelFunc
	done    chan error
	kubelet *kubelet
	proxy   *serviceProxy
	server  *kubeletServer
	dns     *clusterDNS
}

// New prepares a Cluster: it issues the kubelet endpoint's certificates.
// Configure the API server with ConfigureAPIServer before it starts, then
// call Start.
func New(opts Options) (*Cluster, error) {
	if opts.Network == nil {
		return nil, errors.New("cluster: Options.Network is required")
	}
	certs, err := newKubeletCerts(opts.CertDir, NodeName, opts.Network.NodeIP())
	if err != nil {
		return nil, err
	}
	return &Cluster{opts: opts, certs: certs, logs: &logStore{}, probs: &problems{}}, nil
}

// APIServerFlags are the kube-apiserver flags the cluster needs: its
// Service range, and the kubelet client settings for pods/log.
func (c *Cluster) APIServerFlags() map[string]string {
	flags := c.certs.APIServerFlags()
	flags["service-cluster-ip-range"] = c.opts.Network.ServiceCIDR().String()
	return flags
}

// ConfigureAPIServer sets APIServerFlags on an envtest environment that
// has not started.
func (c *Cluster) ConfigureAPIServer(env *envtest.Environment) {
	args := env.ControlPlane.GetAPIServer().Configure()
	for k, v := range c.APIServerFlags() {
		args.Set(k, v)
	}
}

// Resolver returns the cluster DNS as the Pods of a namespace see it. It
// works once the Cluster has started.
func (c *Cluster) Resolver(namespace string) Resolver { return c.dns.resolver(namespace) }

// Problems returns what kept the cluster from doing its part (a load
// balancer port it could not bind, for instance), each once.
func (c *Cluster) Problems() []error { return c.probs.list() }

// Start registers the Node, serves its kubelet endpoint and runs the
// controllers until Stop.
func (c *Cluster) Start(ctx context.Context, cfg *rest.Config) error {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 c.opts.Logger,
		Controller:             config.Controller{SkipNameValidation: new(true)},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	if err := registerNode(ctx, direct, c.opts.Network.NodeIP()); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	if err := c.setup(runCtx, mgr); err != nil {
		cancel()
		return err
	}
	addr := netip.AddrPortFrom(c.opts.Network.NodeIP(), KubeletPort)
	if c.server, err = startKubeletServer(addr, c.certs, c.logs, c.opts.Logger.WithName("kubelet-endpoint")); err != nil {
		cancel()
		return err
	}
	c.cancel, c.done = cancel, make(chan error, 1)
	go func() { c.done <- mgr.Start(runCtx) }()
	return nil
}

// setup builds the controllers on the manager.
func (c *Cluster) setup(ctx context.Context, mgr manager.Manager) error {
	cl := mgr.GetClient()
	inScope := builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
		return namespaceInScope(o.GetNamespace(), c.opts.Namespaces)
	}))
	c.dns = &clusterDNS{client: cl}
	c.kubelet = &kubelet{
		client: cl, network: c.opts.Network, logs: c.logs, log: c.opts.Logger.WithName("kubelet"),
		baseCtx: ctx, changed: make(chan event.GenericEvent), pods: map[types.NamespacedName]*runningPod{},
		starter: &containerStarter{
			reader: mgr.GetAPIReader(), images: c.opts.Images, logs: c.logs, resolver: c.dns.resolver,
			nodeIP: c.opts.Network.NodeIP(), log: c.opts.Logger.WithName("kubelet"),
		},
	}
	c.proxy = &serviceProxy{
		client: cl, network: c.opts.Network, log: c.opts.Logger.WithName("service-proxy"), problems: c.probs,
		frontends: map[types.NamespacedName]map[frontendKey]forwarder{}, lbIPs: map[types.UID]netip.Addr{},
	}
	return errors.Join(
		mgr.Add(c.kubelet),
		ctrl.NewControllerManagedBy(mgr).Named("standin-kubelet").
			For(&corev1.Pod{}, inScope).
			WatchesRawSource(source.Channel(c.kubelet.changed, &handler.EnqueueRequestForObject{})).
			Complete(c.kubelet),
		ctrl.NewControllerManagedBy(mgr).Named("standin-deployments").
			For(&appsv1.Deployment{}, inScope).
			Owns(&corev1.Pod{}, inScope).
			Complete(&deployments{client: cl}),
		ctrl.NewControllerManagedBy(mgr).Named("standin-endpointslices").
			For(&corev1.Service{}).
			Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(
				func(ctx context.Context, o client.Object) []reconcile.Request { return servicesSelecting(ctx, cl, o) })).
			Owns(&discoveryv1.EndpointSlice{}).
			Complete(&endpointSlices{client: cl, reader: mgr.GetAPIReader()}),
		ctrl.NewControllerManagedBy(mgr).Named("standin-service-proxy").
			For(&corev1.Service{}).
			Watches(&discoveryv1.EndpointSlice{}, handler.EnqueueRequestsFromMapFunc(serviceOfSlice)).
			Complete(c.proxy),
	)
}

// Stop stops the controllers, every container, the proxies and the
// kubelet endpoint.
func (c *Cluster) Stop() error {
	if c.cancel == nil {
		return nil
	}
	c.cancel()
	var errs []error
	select {
	case err := <-c.done:
		errs = append(errs, err)
	case <-time.After(time.Minute):
		errs = append(errs, errors.New("cluster: the controllers did not stop within a minute"))
	}
	// Containers a reconcile started while the manager stopped go too.
	errs = append(errs, c.kubelet.stopAll(), c.proxy.closeAll())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs = append(errs, c.server.stop(ctx))
	c.cancel = nil
	return errors.Join(errs...)
}

// namespaceInScope reports whether ns matches one of the patterns (all do
// when there are none).
func namespaceInScope(ns string, patterns []string) bool {
	return len(patterns) == 0 || slices.ContainsFunc(patterns, func(p string) bool {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			return strings.HasPrefix(ns, prefix)
		}
		return ns == p
	})
}

// problems collects errors that keep the cluster from doing its part.
type problems struct {
	mu   sync.Mutex
	errs []error
}

func (p *problems) add(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.ContainsFunc(p.errs, func(e error) bool { return e.Error() == err.Error() }) {
		p.errs = append(p.errs, err)
	}
}

func (p *problems) list() []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.errs)
}

// requeueOnConflict turns a write conflict (the cache was behind) into a
// quiet retry.
func requeueOnConflict(err error) (reconcile.Result, error) {
	if apierrors.IsConflict(err) {
		return reconcile.Result{RequeueAfter: 100 * time.Millisecond}, nil
	}
	return reconcile.Result{}, err
}
