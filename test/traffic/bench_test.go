package traffic

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkRouteToFirst200 measures the time from creating an HTTPRoute to
// the first 200 through the data plane for its path: the whole pipeline
// (provider, translation, xDS push, the data plane applying it). Each
// iteration creates a route for a new path, polls it every 5 ms, and
// deletes the route. It reports the median and the 99th percentile; run it
// with -benchtime=50x (make bench-traffic) for 50 samples.
func BenchmarkRouteToFirst200(b *testing.B) {
	ctx := b.Context()
	w, err := startWorld(ctx, "bench")
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
	// A first route proves the backend is ready before measuring.
	if _, err := measure(ctx, w, "warmup", "/warmup"); err != nil {
		b.Fatal(err)
	}
	var samples []time.Duration
	for i := 0; b.Loop(); i++ {
		d, err := measure(ctx, w, fmt.Sprintf("bench-%d", i), fmt.Sprintf("/bench-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		samples = append(samples, d)
	}
	b.StopTimer()
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(samples[(len(samples)*99-1)/100].Microseconds())/1000, "ms-p99")
	b.ReportMetric(0, "ns/op") // the loop's time includes the deletes; the percentiles are the result
}

// measure creates a route to the benchmark backend and returns how long
// its path took to answer 200; then it deletes the route and waits for
// the path to stop answering.
func measure(ctx context.Context, w *world, name, path string) (time.Duration, error) {
	r := route(name, path, "bench-backend")
	start := time.Now()
	if err := w.c.Create(ctx, r); err != nil {
		return 0, err
	}
	if err := pollUntil(ctx, w, path, 200); err != nil {
		return 0, err
	}
	took := time.Since(start)
	if err := w.c.Delete(ctx, r); err != nil {
		return 0, err
	}
	if err := pollUntil(ctx, w, path, 404); err != nil {
		return 0, err
	}
	return took, nil
}

// pollUntil sends GET path every 5 ms until it answers status (bounded by
// two minutes).
func pollUntil(ctx context.Context, w *world, path string, status int) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if a, err := w.get(ctx, path); err == nil && a.Status == status {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer %d within 2 minutes", path, status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
