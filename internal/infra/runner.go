package infra

import (
	"context"
	"reflect"
	"time"

	"github.com/go-logr/logr"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// DefaultRetryInterval is how long the runner waits before reconciling the
// same result again after a failure.
const DefaultRetryInterval = 10 * time.Second

// DefaultResyncInterval is how long the runner goes at most without
// reconciling, when it skips the fleet sets that change nothing of the
// infra (RunnerOptions.Observed): a field of a fleet object changed by
// hand that the observed states do not show is put back at the latest
// then.
const DefaultResyncInterval = 5 * time.Minute

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	// Manager applies the fleets.
	Manager *Manager
	// Fleets is the fleets topic; each value holds every fleet.
	Fleets *message.Watchable[*bus.FleetSet]
	// Logger receives reconcile errors.
	Logger logr.Logger
	// RetryInterval is the wait before retrying a failed reconcile;
	// DefaultRetryInterval when zero.
	RetryInterval time.Duration
	// Observed, when set, returns what is observed of the running fleets
	// (from the provider's cache). A fleet set is then reconciled only when
	// it changes what the infra is made from (see infraInput) or when the
	// observed states changed since the last reconcile (a Deployment
	// deleted, a fleet turning ready), and at least every ResyncInterval:
	// a route or endpoint change no longer applies every fleet object
	// again (a Get and a server-side apply each, and a List per kind).
	// Without it, every fleet set is reconciled.
	Observed func(ctx context.Context) (map[string]bus.InfraState, error)
	// ResyncInterval is DefaultResyncInterval when zero.
	ResyncInterval time.Duration
}

// Runner reconciles every published fleet set. A newer set replaces one not
// yet handled; a failed reconcile is retried after RetryInterval unless a
// newer set comes first.
type Runner struct {
	// opts are the options, defaults applied.
	opts RunnerOptions
}

// NewRunner returns a Runner.
func NewRunner(opts RunnerOptions) *Runner {
	if opts.RetryInterval == 0 {
		opts.RetryInterval = DefaultRetryInterval
	}
	if opts.ResyncInterval == 0 {
		opts.ResyncInterval = DefaultResyncInterval
	}
	return &Runner{opts: opts}
}

// Name returns the runner name.
func (r *Runner) Name() string { return "infra" }

// Start reconciles every published fleet set until ctx is done. Nil values
// are ignored.
func (r *Runner) Start(ctx context.Context) error {
	latest := make(chan *bus.FleetSet, 1)
	go r.opts.Fleets.Subscribe(ctx, func(res *bus.FleetSet) {
		if res != nil {
			replace(latest, res)
		}
	}, func(err error) { r.opts.Logger.Error(err, "infra subscriber panicked") })

	var current *bus.FleetSet
	// done is the input of the last successful reconcile (nil: none, or
	// one is due).
	var done *infraInput
	var retry, resync <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case current = <-latest:
		case <-retry:
		case <-resync:
			done = nil
		}
		retry = nil
		in, reconciled, err := r.reconcile(ctx, current, done)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.opts.Logger.Error(err, "reconciling the Envoy fleets failed; retrying", "after", r.opts.RetryInterval)
			retry, done = time.After(r.opts.RetryInterval), nil
			continue
		}
		if reconciled {
			resync = time.After(r.opts.ResyncInterval)
		}
		done = in
	}
}

// reconcile reconciles set unless what its infra is made from is done's,
// the input of the last successful reconcile; it returns set's input (nil
// without Observed: every set is reconciled) and whether it reconciled.
func (r *Runner) reconcile(ctx context.Context, set *bus.FleetSet, done *infraInput) (*infraInput, bool, error) {
	in := r.input(ctx, set)
	if done != nil && in != nil && in.same(done) {
		return done, false, nil
	}
	if err := r.opts.Manager.Reconcile(ctx, set.Fleets, set.FrozenGatewayClasses); err != nil {
		return nil, true, err
	}
	return in, true, nil
}

// input returns what the infra of set is made from, nil without Observed
// or when the observed states cannot be read (the set is reconciled).
func (r *Runner) input(ctx context.Context, set *bus.FleetSet) *infraInput {
	if r.opts.Observed == nil {
		return nil
	}
	states, err := r.opts.Observed(ctx)
	if err != nil {
		r.opts.Logger.V(1).Info("reading the fleets' states failed; reconciling", "reason", err.Error())
		return nil
	}
	in := newInfraInput(set, states)
	return &in
}

// infraInput is what a reconcile of a fleet set depends on: each fleet's
// name and infra IR, the frozen GatewayClasses, whether a fleet uses the
// rate limit service, and the observed states of the fleets' objects. Not
// the xDS IR (routes, clusters, endpoints), which the xDS server serves.
type infraInput struct {
	fleets          []fleetInfra
	frozen          []string
	globalRateLimit bool
	observed        map[string]bus.InfraState
}

type fleetInfra struct {
	name  string
	infra *ir.Infra
}

func newInfraInput(set *bus.FleetSet, observed map[string]bus.InfraState) infraInput {
	in := infraInput{frozen: set.FrozenGatewayClasses, globalRateLimit: set.UsesGlobalRateLimit(), observed: observed}
	for _, f := range set.Fleets {
		if f != nil {
			in.fleets = append(in.fleets, fleetInfra{name: f.Name, infra: f.Infra})
		}
	}
	return in
}

// same reports whether in and o are equal (the infra IR compared by
// value).
func (in *infraInput) same(o *infraInput) bool {
	return reflect.DeepEqual(in, o)
}

// replace puts res in the one-slot channel, dropping an unread older value.
// There is a single sender.
func replace(ch chan *bus.FleetSet, res *bus.FleetSet) {
	select {
	case <-ch:
	default:
	}
	ch <- res
}
