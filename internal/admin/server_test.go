package admin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
)

func startServer(t *testing.T) (*Server, string) {
	t.Helper()
	return startServerWith(t, false)
}

func startServerWith(t *testing.T, pprof bool) (*Server, string) {
	t.Helper()
	reg := prometheus.NewRegistry()
	counter := prometheus.NewCounter(prometheus.CounterOpts{Name: "admin_test_total", Help: "test"})
	reg.MustRegister(counter)
	counter.Inc()
	s := New(Options{Address: "127.0.0.1:0", Gatherer: reg, EnablePprof: pprof, Logger: logr.Discard()})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start returned %v", err)
		}
	})
	return s, "http://" + s.Addr()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestHealthzMetricsAndExtraHandlers(t *testing.T) {
	s, base := startServer(t)
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, "admin_test_total 1") {
		t.Errorf("/metrics = %d %q", code, body)
	}
	s.Handle("GET /api/hello", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") }))
	if code, body := get(t, base+"/api/hello"); code != http.StatusOK || body != "hi" {
		t.Errorf("/api/hello = %d %q", code, body)
	}
}

func TestReadyzReflectsChecks(t *testing.T) {
	s, base := startServer(t)
	if code, _ := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz with no checks = %d", code)
	}
	var synced atomic.Bool
	s.AddReadinessCheck("provider", func() error {
		if !synced.Load() {
			return errors.New("caches not synced")
		}
		return nil
	})
	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "provider: caches not synced") {
		t.Errorf("/readyz not ready = %d %q", code, body)
	}
	synced.Store(true)
	if code, _ := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after ready = %d", code)
	}
}

func TestPprofOnlyWhenEnabled(t *testing.T) {
	_, base := startServerWith(t, false)
	if code, _ := get(t, base+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without EnablePprof = %d, want 404", code)
	}
	_, base = startServerWith(t, true)
	if code, body := get(t, base+"/debug/pprof/heap?debug=1"); code != http.StatusOK || !strings.Contains(body, "heap profile") {
		t.Errorf("/debug/pprof/heap with EnablePprof = %d %.80q", code, body)
	}
}
