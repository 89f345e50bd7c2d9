package traffic

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/applied"
)

// BenchmarkRouteUpdateToApplied measures the time from updating an
// HTTPRoute to its Gateway's gateway.envoyproxy.io/Applied condition being
// True for it: the whole pipeline (provider, translation, xDS push, the
// test data plane ACKing, the status write). Each iteration changes the
// route's path and polls, every 5 ms, the route's Accepted
// observedGeneration and then the Gateway's condition: the status writer
// writes a result's Gateways before its routes, so once the route shows
// its new generation the Gateway's condition is that of the new
// configuration or a later one. It reports the median and the 99th
// percentile; run it with -benchtime=50x (make bench-applied) for 50 samples.
func BenchmarkRouteUpdateToApplied(b *testing.B) {
	ctx := b.Context()
	w, err := startWorld(ctx, "bench-applied")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := w.stop(); err != nil {
			b.Error(err)
		}
	})
	if err := w.backend(ctx, "bench-backend", 1); err != nil {
		b.Fatal(err)
	}
	r := route("applied", "/applied-0", "bench-backend")
	if err := w.c.Create(ctx, r); err != nil {
		b.Fatal(err)
	}
	if err := waitApplied(ctx, w, r.Name, r.Generation); err != nil {
		b.Fatal(err)
	}
	var samples []time.Duration
	for i := 1; b.Loop(); i++ {
		start := time.Now()
		gen, err := setPath(ctx, w, r.Name, fmt.Sprintf("/applied-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		if err := waitApplied(ctx, w, r.Name, gen); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(samples)
	median, p99 := samples[len(samples)/2], samples[(len(samples)*99-1)/100]
	b.Logf("HTTPRoute update -> Applied=True, %d samples: median %s, p99 %s", len(samples), median, p99)
	b.ReportMetric(float64(median.Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(p99.Microseconds())/1000, "ms-p99")
	b.ReportMetric(0, "ns/op") // the percentiles are the result
}

// setPath changes the path of the route's first match and returns the
// route's new generation.
func setPath(ctx context.Context, w *world, name, path string) (int64, error) {
	var r gwapiv1.HTTPRoute
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := w.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &r); err != nil {
			return err
		}
		r.Spec.Rules[0].Matches[0].Path.Value = &path
		return w.c.Update(ctx, &r)
	})
	return r.Generation, err
}

// waitApplied polls every 5 ms until the route's Accepted condition shows
// generation and then the Gateway's Applied condition is True (bounded by
// two minutes).
func waitApplied(ctx context.Context, w *world, name string, generation int64) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ok, err := routeApplied(ctx, w, name, generation)
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("route %s generation %d: Gateway not Applied within 2 minutes", name, generation)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// routeApplied reports whether the route's status shows generation and then
// the Gateway is Applied.
func routeApplied(ctx context.Context, w *world, name string, generation int64) (bool, error) {
	var r gwapiv1.HTTPRoute
	if err := w.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &r); err != nil {
		return false, err
	}
	seen := false
	for _, p := range r.Status.Parents {
		if c := meta.FindStatusCondition(p.Conditions, string(gwapiv1.RouteConditionAccepted)); c != nil && c.ObservedGeneration >= generation {
			seen = true
		}
	}
	if !seen {
		return false, nil
	}
	var gw gwapiv1.Gateway
	if err := w.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: gatewayName}, &gw); err != nil {
		return false, err
	}
	return meta.IsStatusConditionTrue(gw.Status.Conditions, applied.ConditionType), nil
}
