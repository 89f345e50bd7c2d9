package controllers

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// batchClock measures the batching delay: for each work item, the time from
// the first event of a batch to the start of its reconcile.
type batchClock struct {
	delay prometheus.Histogram

	mu    sync.Mutex
	first map[reconcile.Request]time.Time
}

func newBatchClock() *batchClock {
	return &batchClock{
		delay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "envoy_gateway_provider_batch_delay_seconds",
			Help:    "Time from the first event of a batch of changes to the start of its processing (batching delay).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
		first: map[reconcile.Request]time.Time{},
	}
}

// event records an event for key; only the first of a batch counts.
func (c *batchClock) event(key reconcile.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.first[key]; !ok {
		c.first[key] = time.Now()
	}
}

// started observes the delay of key's batch, whose processing starts now.
// Events after this call belong to the next batch.
func (c *batchClock) started(key reconcile.Request) {
	c.mu.Lock()
	first, ok := c.first[key]
	delete(c.first, key)
	c.mu.Unlock()
	if ok {
		c.delay.Observe(time.Since(first).Seconds())
	}
}
