package host

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// fakeEnvoy writes a shell script standing in for Envoy: each start appends
// its pid and arguments to <dir>/starts, writes adminAddr to the file named
// by --admin-address-path, then sleeps. With exitCode not 0 it exits with it
// at once instead, without writing an admin address: like a real Envoy that
// crashes while starting, it never answers /ready.
func fakeEnvoy(t *testing.T, adminAddr string, exitCode int) (binary, starts string) {
	t.Helper()
	dir := t.TempDir()
	starts = filepath.Join(dir, "starts")
	script := fmt.Sprintf(`#!/bin/sh
echo "$$ $*" >> %q
if [ %d -ne 0 ]; then exit %d; fi
while [ $# -gt 0 ]; do
  if [ "$1" = "--admin-address-path" ]; then echo %q > "$2"; fi
  shift
done
exec sleep 1000
`, starts, exitCode, exitCode, adminAddr)
	binary = filepath.Join(dir, "envoy")
	if err := os.WriteFile(binary, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return binary, starts
}

// readyAdmin is an admin endpoint answering /ready with 200.
func readyAdmin(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			_, _ = w.Write([]byte("LIVE"))
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func result(fleets ...string) *bus.FleetSet {
	r := &bus.FleetSet{}
	for _, name := range fleets {
		r.Fleets = append(r.Fleets, &bus.Fleet{
			Name:  name,
			Infra: &ir.Infra{Proxy: &ir.ProxyInfra{Name: name, Config: ir.ProxyConfig{LogLevel: "warn"}}},
			Xds:   &ir.Xds{},
		})
	}
	return r
}

// managerTest runs a Manager and records the states it reports.
type managerTest struct {
	t        *testing.T
	results  *message.Watchable[*bus.FleetSet]
	manager  *Manager
	stateDir string

	mu     sync.Mutex
	states map[string]bus.InfraState
}

func startManager(t *testing.T, binary string, backoff time.Duration) *managerTest {
	t.Helper()
	mt := &managerTest{t: t, results: message.NewWatchable[*bus.FleetSet]("results"), stateDir: t.TempDir()}
	m, err := New(Options{
		Fleets:        mt.results,
		StateDir:      mt.stateDir,
		EnvoyPath:     binary,
		Xds:           XdsTarget{Host: "127.0.0.1", Port: 18000},
		OnStates:      mt.record,
		Logger:        testr.New(t),
		Backoff:       Backoff{Initial: backoff, Max: 4 * backoff},
		StopTimeout:   2 * time.Second,
		ProbeInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	mt.manager = m
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager stopped with %v", err)
		}
	})
	return mt
}

func (mt *managerTest) record(s map[string]bus.InfraState) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	mt.states = s
}

func (mt *managerTest) waitFor(what string, ok func() bool) {
	mt.t.Helper()
	waitFor(mt.t, what, ok)
}

// waitFor polls ok until it holds; the bound is generous for loaded
// machines and decides no result.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func (mt *managerTest) ready(fleet string) bool {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	st, ok := mt.states[fleet]
	return ok && st.Ready && len(st.Addresses) == 1 && st.Addresses[0].Value == LoopbackAddress
}

func (mt *managerTest) hasState(fleet string) bool {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	_, ok := mt.states[fleet]
	return ok
}

// startLines returns the recorded starts: pid and arguments. Only complete
// lines count: the file exists (empty) before the first line is written.
func startLines(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	var out []string
	for _, l := range lines {
		if strings.HasSuffix(l, "\n") && strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimSuffix(l, "\n"))
		}
	}
	return out
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func pidOf(t *testing.T, line string) int {
	pid, err := strconv.Atoi(strings.Fields(line)[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestManagerRunsOneEnvoyPerFleet(t *testing.T) {
	binary, starts := fakeEnvoy(t, readyAdmin(t), 0)
	mt := startManager(t, binary, 50*time.Millisecond)
	mt.results.Publish(result("default/eg", "shared"))
	mt.waitFor("both fleets ready", func() bool { return mt.ready("default/eg") && mt.ready("shared") })

	lines := startLines(t, starts)
	if len(lines) != 2 {
		t.Fatalf("starts = %q, want 2", lines)
	}
	dir := FleetDir(mt.stateDir, "default/eg")
	wantArgs := fmt.Sprintf("-c %s --use-dynamic-base-id --admin-address-path %s --log-level warning",
		filepath.Join(dir, BootstrapFile), filepath.Join(dir, AdminAddressFile))
	if !strings.Contains(strings.Join(lines, "\n"), wantArgs) {
		t.Errorf("starts %q do not contain %q", lines, wantArgs)
	}
	bootstrap, err := os.ReadFile(filepath.Join(dir, BootstrapFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bootstrap), "cluster: default/eg") {
		t.Errorf("bootstrap does not name the fleet as node cluster:\n%s", bootstrap)
	}

	// The fleet goes: its Envoy stops and its state disappears.
	var egPid, sharedPid int
	for _, l := range lines {
		if strings.Contains(l, dir) {
			egPid = pidOf(t, l)
		} else {
			sharedPid = pidOf(t, l)
		}
	}
	mt.results.Publish(result("shared"))
	mt.waitFor("fleet default/eg gone", func() bool { return !mt.hasState("default/eg") && !alive(egPid) })
	if _, err := os.Stat(filepath.Join(dir, BootstrapFile)); !os.IsNotExist(err) {
		t.Errorf("bootstrap of a removed fleet still exists: %v", err)
	}
	// The other fleet's Envoy runs on, never restarted.
	if got := startLines(t, starts); len(got) != 2 || !alive(sharedPid) {
		t.Errorf("removing one fleet disturbed the other: starts %q, pid %d alive %v", got, sharedPid, alive(sharedPid))
	}
}

func TestManagerRestartsWithBackoff(t *testing.T) {
	binary, starts := fakeEnvoy(t, readyAdmin(t), 3)
	mt := startManager(t, binary, 20*time.Millisecond)
	mt.results.Publish(result("default/eg"))
	mt.waitFor("4 starts", func() bool { return len(startLines(t, starts)) >= 4 })
	// Every exit was reported (not ready) before the next start, and a
	// crashing Envoy never answers /ready.
	if !mt.hasState("default/eg") || mt.ready("default/eg") {
		t.Errorf("a crashing Envoy is not reported as not ready: %+v", mt.manager.States())
	}
}

func TestManagerStopsEnvoyOnShutdown(t *testing.T) {
	binary, starts := fakeEnvoy(t, readyAdmin(t), 0)
	results := message.NewWatchable[*bus.FleetSet]("results")
	m, err := New(Options{Fleets: results, StateDir: t.TempDir(), EnvoyPath: binary, Logger: testr.New(t),
		Xds: XdsTarget{Host: "127.0.0.1", Port: 18000}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Start(ctx) }()
	results.Publish(result("default/eg"))
	waitFor(t, "the first start", func() bool { return len(startLines(t, starts)) > 0 })
	lines := startLines(t, starts)
	if len(lines) != 1 {
		t.Fatalf("starts = %q, want 1", lines)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if pid := pidOf(t, lines[0]); alive(pid) {
		t.Errorf("envoy %d still runs after the manager stopped", pid)
	}
}

func TestManagerWithoutBinaryWritesBootstrapsOnly(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	mt := startManager(t, "", 10*time.Millisecond)
	if mt.manager.Binary() != "" {
		t.Fatalf("found a binary: %s", mt.manager.Binary())
	}
	mt.results.Publish(result("default/eg"))
	path := filepath.Join(FleetDir(mt.stateDir, "default/eg"), BootstrapFile)
	mt.waitFor("bootstrap", func() bool { _, err := os.Stat(path); return err == nil })
	// The fleet sets are handled in order: once the second one's bootstrap
	// is there, the first one has been handled in full. Without a process,
	// nothing else reports states.
	mt.results.Publish(result("default/eg", "other"))
	other := filepath.Join(FleetDir(mt.stateDir, "other"), BootstrapFile)
	mt.waitFor("the second bootstrap", func() bool { _, err := os.Stat(other); return err == nil })
	if states := mt.manager.States(); len(states) != 0 {
		t.Errorf("fleets with no process have InfraStates: %+v", states)
	}
}

func TestConfiguredBinaryMustExist(t *testing.T) {
	_, err := New(Options{Fleets: message.NewWatchable[*bus.FleetSet]("r"), StateDir: t.TempDir(),
		EnvoyPath: filepath.Join(t.TempDir(), "missing-envoy")})
	if err == nil || !strings.Contains(err.Error(), "provider.file.envoyPath") {
		t.Fatalf("err = %v, want a provider.file.envoyPath error", err)
	}
}
