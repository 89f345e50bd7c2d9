package leader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/envoygw/envoy-gateway/internal/runner"
)

// The elector's RBAC is the leader-election Role of config/rbac
// (leader_election_role.yaml): Leases in the control plane's namespace only.

// Default lease timings (those of controller-runtime's manager).
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// Options configure an Elector.
type Options struct {
	// Config is the cluster the Lease lives in.
	Config *rest.Config
	// Lock replaces the Lease lock built from Config, Namespace and Name
	// (tests); Config is not used then.
	Lock resourcelock.Interface
	// Namespace and Name name the Lease.
	Namespace string
	Name      string
	// Identity is this replica's name in the Lease; empty means the host
	// name and a random suffix.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod are the lease timings;
	// zero means the defaults.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Work is the leader-only work. Each term starts every runner with a
	// context that ends with the term; a runner must stop when it ends and
	// must be startable again for the next term.
	Work []runner.Runner
	// ShutdownTimeout bounds how long the work may take to stop at the end
	// of a term; zero means RenewDeadline.
	ShutdownTimeout time.Duration
	// Registerer receives the elector's metrics; nil registers them nowhere.
	Registerer prometheus.Registerer
	Logger     logr.Logger
}

// Elector campaigns for the Lease and runs the leader-only work during the
// terms it wins, as a runner of the control plane.
type Elector struct {
	opts    Options
	log     logr.Logger
	lock    resourcelock.Interface
	leading prometheus.Gauge
	terms   prometheus.Counter
}

// New checks the options and builds the Lease lock.
func New(opts Options) (*Elector, error) {
	if (opts.Config == nil && opts.Lock == nil) || opts.Namespace == "" || opts.Name == "" {
		return nil, errors.New("leader elector needs Config, Namespace and Name")
	}
	setDefaults(&opts)
	lock := opts.Lock
	if lock == nil {
		var err error
		if lock, err = leaseLock(opts); err != nil {
			return nil, err
		}
	}
	e := &Elector{
		opts: opts,
		log:  opts.Logger,
		lock: lock,
		leading: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "envoy_gateway_leader",
			Help: "1 while this replica holds the leader lease and runs the leader-only work (statuses, infra), else 0.",
		}),
		terms: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "envoy_gateway_leader_terms_total",
			Help: "Leader terms this replica has won.",
		}),
	}
	if opts.Registerer != nil {
		for _, c := range []prometheus.Collector{e.leading, e.terms} {
			if err := opts.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("registering leader elector metrics: %w", err)
			}
		}
	}
	return e, nil
}

// leaseLock is the Lease Namespace/Name, written with Config as Identity.
func leaseLock(opts Options) (resourcelock.Interface, error) {
	cfg := rest.CopyConfig(opts.Config)
	// One hung request must not use up the whole renew deadline.
	cfg.Timeout = max(opts.RenewDeadline/2, time.Second)
	client, err := coordinationv1client.NewForConfig(rest.AddUserAgent(cfg, "leader-election"))
	if err != nil {
		return nil, fmt.Errorf("leader elector: %w", err)
	}
	return &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: opts.Namespace, Name: opts.Name},
		Client:     client,
		LockConfig: resourcelock.ResourceLockConfig{Identity: opts.Identity},
	}, nil
}

func setDefaults(o *Options) {
	if o.Identity == "" {
		host, _ := os.Hostname()
		o.Identity = host + "_" + string(uuid.NewUUID())
	}
	if o.LeaseDuration <= 0 {
		o.LeaseDuration = DefaultLeaseDuration
	}
	if o.RenewDeadline <= 0 {
		o.RenewDeadline = DefaultRenewDeadline
	}
	if o.RetryPeriod <= 0 {
		o.RetryPeriod = DefaultRetryPeriod
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = o.RenewDeadline
	}
}

// Identity returns this replica's name in the Lease.
func (e *Elector) Identity() string { return e.lock.Identity() }

// Name implements runner.Runner.
func (e *Elector) Name() string { return "leader-elector" }

// Start campaigns and runs the terms it wins until ctx is done, campaigning
// again after each lost term. It returns nil once ctx is done and the work
// of the last term has stopped, having released the lease if it held it.
func (e *Elector) Start(ctx context.Context) error {
	ctx = logr.NewContext(ctx, e.log) // client-go's elector logs through it
	for {
		e.campaign(ctx)
		if ctx.Err() != nil {
			return nil
		}
		e.log.Info("leader term ended; campaigning again", "lease", e.opts.Namespace+"/"+e.opts.Name)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(e.opts.RetryPeriod):
		}
	}
}

// campaign waits to acquire the lease and then runs one term, until the
// lease is lost, ctx is done, or the work stops on its own.
func (e *Elector) campaign(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	terms := make(chan context.Context, 1)
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            e.lock,
		LeaseDuration:   e.opts.LeaseDuration,
		RenewDeadline:   e.opts.RenewDeadline,
		RetryPeriod:     e.opts.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            e.opts.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(term context.Context) { terms <- term },
			OnStoppedLeading: func() {},
		},
	})
	if err != nil { // only invalid timings, which setDefaults rules out
		e.log.Error(err, "cannot build the leader elector")
		return
	}
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		le.Run(ctx)
	}()
	select {
	case <-ran: // ctx ended before the lease was acquired
	case term := <-terms:
		e.lead(term)
		cancel() // when the work stopped on its own, give the lease up
		<-ran
	}
}

// lead runs the work for one term and returns when it has stopped.
func (e *Elector) lead(term context.Context) {
	e.terms.Inc()
	e.leading.Set(1)
	defer e.leading.Set(0)
	e.log.Info("leading: starting the leader-only work", "identity", e.opts.Identity)
	group := runner.Group{ShutdownTimeout: e.opts.ShutdownTimeout, Logger: e.log}
	err := group.Run(withTermLogger(term), e.opts.Work...)
	switch {
	case err != nil:
		e.log.Error(err, "the leader-only work failed; giving up the lease")
	case term.Err() == nil:
		e.log.Info("the leader-only work stopped; giving up the lease")
	default:
		e.log.Info("leader term over: the leader-only work stopped")
	}
}
