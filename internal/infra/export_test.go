package infra

import (
	"context"

	"github.com/envoygw/envoy-gateway/internal/bus"
)

// InfraInput is infraInput, for the tests of package infra_test.
type InfraInput = infraInput

// ReconcileOnce is the runner's step for one fleet set (see reconcile).
func (r *Runner) ReconcileOnce(ctx context.Context, set *bus.FleetSet, done *InfraInput) (*InfraInput, bool, error) {
	return r.reconcile(ctx, set, done)
}
