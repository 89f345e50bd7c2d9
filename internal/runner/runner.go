// Package runner owns the lifecycle of the control plane's long-running parts:
// it starts runners in order, stops them all when the context ends or one of
// them fails, and bounds how long stopping may take.
package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
)

// Runner is a long-running part of the control plane. Start blocks until ctx
// is done (returning nil) or the runner fails (returning the error).
type Runner interface {
	Name() string
	Start(ctx context.Context) error
}

// Func adapts a function to a Runner.
type Func struct {
	RunnerName string
	Run        func(ctx context.Context) error
}

// Name returns the runner name.
func (f Func) Name() string { return f.RunnerName }

// Start runs the function.
func (f Func) Start(ctx context.Context) error { return f.Run(ctx) }

// Group runs runners together.
type Group struct {
	// ShutdownTimeout bounds how long runners may take to return after the
	// context ends.
	ShutdownTimeout time.Duration
	Logger          logr.Logger
}

type result struct {
	name string
	err  error
}

// Run starts the runners in order and blocks until ctx is done or one fails.
// Then it cancels the rest and waits for them for at most ShutdownTimeout.
// It returns the first failure, or an error naming runners that did not stop in time.
func (g Group) Run(ctx context.Context, runners ...Runner) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	results := make(chan result, len(runners))
	for _, r := range runners {
		g.Logger.Info("starting runner", "runner", r.Name())
		go func() {
			results <- result{name: r.Name(), err: r.Start(ctx)}
		}()
	}

	var firstErr error
	running := map[string]bool{}
	for _, r := range runners {
		running[r.Name()] = true
	}
	select {
	case <-ctx.Done():
	case res := <-results:
		delete(running, res.name)
		if res.err != nil {
			firstErr = fmt.Errorf("runner %s: %w", res.name, res.err)
			g.Logger.Error(res.err, "runner failed, stopping the others", "runner", res.name)
		} else {
			g.Logger.Info("runner stopped", "runner", res.name)
		}
	}
	cancel()

	deadline := time.NewTimer(g.ShutdownTimeout)
	defer deadline.Stop()
	for len(running) > 0 {
		select {
		case res := <-results:
			delete(running, res.name)
			if res.err != nil && !errors.Is(res.err, context.Canceled) {
				g.Logger.Error(res.err, "runner returned an error while stopping", "runner", res.name)
				if firstErr == nil {
					firstErr = fmt.Errorf("runner %s: %w", res.name, res.err)
				}
			} else {
				g.Logger.Info("runner stopped", "runner", res.name)
			}
		case <-deadline.C:
			names := make([]string, 0, len(running))
			for _, r := range runners {
				if running[r.Name()] {
					names = append(names, r.Name())
				}
			}
			return errors.Join(firstErr, fmt.Errorf("runners did not stop within %s: %v", g.ShutdownTimeout, names))
		}
	}
	return firstErr
}
