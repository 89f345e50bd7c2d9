package runner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

func blocking(name string, stopped chan<- string) Runner {
	return Func{RunnerName: name, Run: func(ctx context.Context) error {
		<-ctx.Done()
		stopped <- name
		return nil
	}}
}

func TestGroupStopsAllOnCancel(t *testing.T) {
	stopped := make(chan string, 2)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Group{ShutdownTimeout: 30 * time.Second, Logger: logr.Discard()}.Run(ctx, blocking("a", stopped), blocking("b", stopped))
	}()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if len(stopped) != 2 {
		t.Fatalf("%d runners stopped, want 2", len(stopped))
	}
}

func TestGroupStopsOthersWhenOneFails(t *testing.T) {
	stopped := make(chan string, 1)
	failing := Func{RunnerName: "bad", Run: func(context.Context) error { return errors.New("bind failed") }}
	err := Group{ShutdownTimeout: 30 * time.Second, Logger: logr.Discard()}.Run(context.Background(), blocking("a", stopped), failing)
	if err == nil || !strings.Contains(err.Error(), "runner bad: bind failed") {
		t.Fatalf("Run returned %v, want the failure", err)
	}
	if got := <-stopped; got != "a" {
		t.Fatalf("stopped %q", got)
	}
}

func TestGroupBoundsShutdown(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stuck := Func{RunnerName: "stuck", Run: func(context.Context) error { <-release; return nil }}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Group{ShutdownTimeout: 50 * time.Millisecond, Logger: logr.Discard()}.Run(ctx, stuck)
	if err == nil || !strings.Contains(err.Error(), "did not stop") || !strings.Contains(err.Error(), "stuck") {
		t.Fatalf("Run returned %v, want a shutdown timeout naming stuck", err)
	}
}
