package infra

import (
	"context"
	"time"

	"github.com/go-logr/logr"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// DefaultRetryInterval is how long the runner waits before reconciling the
// same result again after a failure.
const DefaultRetryInterval = 10 * time.Second

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
}

// Runner reconciles every published fleet set. A newer set replaces one not
// yet handled; a failed reconcile is retried after RetryInterval unless a
// newer set comes first.
type Runner struct {
	manager *Manager
	fleets  *message.Watchable[*bus.FleetSet]
	log     logr.Logger
	retry   time.Duration
}

// NewRunner returns a Runner.
func NewRunner(opts RunnerOptions) *Runner {
	retry := opts.RetryInterval
	if retry == 0 {
		retry = DefaultRetryInterval
	}
	return &Runner{manager: opts.Manager, fleets: opts.Fleets, log: opts.Logger, retry: retry}
}

// Name returns the runner name.
func (r *Runner) Name() string { return "infra" }

// Start reconciles every published fleet set until ctx is done. Nil values
// are ignored.
func (r *Runner) Start(ctx context.Context) error {
	latest := make(chan *bus.FleetSet, 1)
	go r.fleets.Subscribe(ctx, func(res *bus.FleetSet) {
		if res != nil {
			replace(latest, res)
		}
	}, func(err error) { r.log.Error(err, "infra subscriber panicked") })

	var current *bus.FleetSet
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case current = <-latest:
		case <-retry:
		}
		retry = nil
		if err := r.manager.Reconcile(ctx, current.Fleets, current.FrozenGatewayClasses); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.Error(err, "reconciling the Envoy fleets failed; retrying", "after", r.retry)
			retry = time.After(r.retry)
		}
	}
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
