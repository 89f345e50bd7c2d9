package controllers

import (
	"context"
	"time"

	"github.com/envoygw/envoy-gateway/internal/applied"
)

// maxPushWait is the longest a status round waits for the proxies to take
// the configuration it reports on (see waitForPush).
const maxPushWait = time.Second

// waitForPush reports whether the round should not run yet because the
// proxies are taking the result's configuration (report.Pushing: the xDS
// server has yet to serve it, is sending it, or waits for an ACK). The
// proxies come first: at 10,000 routes a round's writes, the API server's
// work on them and the watch events they send back shared the CPU with
// the xDS translation and the push (starting rounds 150 ms late took a
// route change's processing from 33 to 21 ms at the median, and from 49
// to 25 ms at the 99th percentile after the API server's delivery:
// docs/performance.md, session 21). The round runs when the proxies hold
// the configuration (the Applied change that says so starts a round:
// followApplied), or maxPushWait after the first round that waited,
// whichever comes first: a timer armed by that round runs it then.
// Without an Applied tracker, connected proxies or a configuration to
// push, rounds never wait. Called with w.mu held.
func (w *statusWriter) waitForPush(ctx context.Context, report *applied.Report) bool {
	now := w.clock()
	if !report.Pushing() || (!w.pushWaitSince.IsZero() && now.Sub(w.pushWaitSince) >= w.pushWait) {
		w.pushWaitSince = time.Time{}
		if w.pushTimer != nil {
			w.pushTimer.Stop() // the round runs now: no later one for this wait
			w.pushTimer = nil
		}
		return false
	}
	if w.pushWaitSince.IsZero() {
		w.pushWaitSince = now
		w.pushTimer = time.AfterFunc(w.pushWait, func() {
			if ctx.Err() == nil {
				w.write(ctx, nil)
			}
		})
	}
	return true
}
