package controllers

import (
	"context"
	"time"

	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// appliedReport returns the Applied conditions of res, nil when the
// provider has no Applied tracker.
func (w *statusWriter) appliedReport(res *gatewayapi.Result) *applied.Report {
	if w.opts.Applied == nil {
		return nil
	}
	report := w.opts.Applied.Report(res)
	for _, f := range res.Fleets {
		if c, ok := report.Fleet(f.Name); ok {
			w.log.V(1).Info("applied", "fleet", f.Name, "status", c.Status, "reason", c.Reason,
				"message", c.Message, "keepStored", c.KeepStored)
		}
	}
	return report
}

// followApplied rewrites the statuses of the latest result when the
// proxies' state may have changed, at most once per BatchDelay: changes
// coalesce, so a large fleet ACKing a push causes one write round, and
// only the objects whose condition changed are written.
func (w *statusWriter) followApplied(ctx context.Context) {
	w.opts.Applied.Changes().Subscribe(ctx, func(uint64) {
		res, _ := w.opts.Results.Load()
		w.write(ctx, res)
		t := time.NewTimer(w.opts.BatchDelay)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}, func(err error) { w.log.Error(err, "status writer recovered from a panic (Applied)") })
}
