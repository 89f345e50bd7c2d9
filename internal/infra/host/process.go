package host

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
)

// processOptions configure the supervision of one Envoy (or of the rate
// limit service: Kind names the process in logs, "envoy" when empty).
type processOptions struct {
	Fleet string
	Kind  string
	// Binary and Args are the command, Env added to this process's
	// environment; Dir is the fleet's state folder.
	Binary string
	Args   []string
	Env    []string
	Dir    string
	// StaleFiles are removed before each start (a unix socket left behind).
	StaleFiles []string
	// LogFile receives the process's stdout and stderr.
	LogFile string
	// AdminAddressFile is where Envoy writes its admin address
	// (--admin-address-path); readiness is probed there. Empty: no probe.
	AdminAddressFile string
	Backoff          Backoff
	StopTimeout      time.Duration
	ProbeInterval    time.Duration
	Logger           logr.Logger
	// Report is called with the fleet's readiness whenever it changes.
	Report func(ready bool)
}

// Backoff bounds the delay between restarts: it starts at Initial, doubles
// after each failure up to Max, and is reset once a process has run for
// Reset.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Reset   time.Duration
}

// supervise runs the process until ctx is done, restarting it with backoff
// whenever it exits. On return the process has exited.
func supervise(ctx context.Context, o processOptions) {
	delay := o.Backoff.Initial
	for ctx.Err() == nil {
		started := time.Now()
		err := runOnce(ctx, o)
		o.Report(false)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) >= o.Backoff.Reset {
			delay = o.Backoff.Initial
		}
		o.Logger.Error(err, o.kind()+" exited; restarting", "fleet", o.Fleet, "in", delay.String(), "log", o.LogFile)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, o.Backoff.Max)
	}
}

// runOnce starts the process, probes its readiness while it runs, and stops
// it when ctx is done. It returns why the process ended.
func runOnce(ctx context.Context, o processOptions) error {
	for _, f := range append([]string{o.AdminAddressFile}, o.StaleFiles...) {
		if f != "" {
			_ = os.Remove(f)
		}
	}
	logFile, err := os.OpenFile(o.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }()
	cmd := exec.Command(o.Binary, o.Args...)
	cmd.Dir = o.Dir
	if len(o.Env) > 0 {
		cmd.Env = append(os.Environ(), o.Env...)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", o.Binary, err)
	}
	o.Logger.Info(o.kind()+" started", "fleet", o.Fleet, "pid", cmd.Process.Pid, "log", o.LogFile)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The probe ends before runOnce returns, so it cannot report the fleet
	// ready after the caller reported it not ready.
	probeCtx, stopProbe := context.WithCancel(ctx)
	probeDone := make(chan struct{})
	go func() { defer close(probeDone); probe(probeCtx, o) }()
	defer func() { stopProbe(); <-probeDone }()
	select {
	case err := <-exited:
		if err == nil {
			err = errors.New("exited with status 0")
		}
		return err
	case <-ctx.Done():
		stop(cmd, exited, o)
		return ctx.Err()
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after StopTimeout.
func stop(cmd *exec.Cmd, exited <-chan error, o processOptions) {
	pgid := -cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-exited:
		o.Logger.Info(o.kind()+" stopped", "fleet", o.Fleet)
	case <-time.After(o.StopTimeout):
		o.Logger.Info(o.kind()+" did not stop in time; killing it", "fleet", o.Fleet, "timeout", o.StopTimeout.String())
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-exited
	}
}

// kind names the process in logs.
func (o processOptions) kind() string {
	if o.Kind == "" {
		return "envoy"
	}
	return o.Kind
}

// probe reports the fleet ready while Envoy's admin /ready answers 200.
// Without an admin address file there is nothing to probe.
func probe(ctx context.Context, o processOptions) {
	if o.AdminAddressFile == "" {
		return
	}
	client := &http.Client{Timeout: o.ProbeInterval}
	ticker := time.NewTicker(o.ProbeInterval)
	defer ticker.Stop()
	ready := false
	for {
		now := ready
		if addr, err := os.ReadFile(o.AdminAddressFile); err == nil {
			now = adminReady(ctx, client, strings.TrimSpace(string(addr)))
		}
		if now != ready {
			ready = now
			o.Report(ready)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func adminReady(ctx context.Context, client *http.Client, addr string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/ready", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
