package host

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// fakeRateLimit writes a shell script standing in for the rate limit
// service: each start writes its environment to <dir>/env.<pid>, then
// appends its pid to <dir>/starts, then sleeps.
func fakeRateLimit(t *testing.T) (binary, dir string) {
	t.Helper()
	dir = t.TempDir()
	envBin, err1 := exec.LookPath("env")
	sleepBin, err2 := exec.LookPath("sleep")
	if err1 != nil || err2 != nil {
		t.Fatalf("env and sleep are needed: %v %v", err1, err2)
	}
	// Absolute paths: the tests hide Envoy with an empty PATH.
	// The environment is complete once the pid is in starts.
	script := fmt.Sprintf("#!/bin/sh\n%s > %q.$$\necho $$ >> %q\nexec %s 1000\n",
		envBin, filepath.Join(dir, "env"), filepath.Join(dir, "starts"), sleepBin)
	binary = filepath.Join(dir, "ratelimit")
	if err := os.WriteFile(binary, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return binary, dir
}

var testRateLimit = &egv1a1.RateLimit{
	Backend: egv1a1.RateLimitBackend{Redis: &egv1a1.RateLimitRedis{URL: "127.0.0.1:6379"}},
	Timeout: "100ms",
}

// rateLimitResult is a result whose fleet uses global rate limits when global is set.
func rateLimitResult(global bool, frozen ...string) *bus.FleetSet {
	r := result("default/eg")
	r.FrozenGatewayClasses = frozen
	if global {
		r.Fleets[0].Xds = &ir.Xds{GlobalRateLimit: &ir.GlobalRateLimit{Domain: "d", Pipe: "/p", Timeout: 1}}
	}
	return r
}

func startRateLimitManager(t *testing.T, binary string) (*managerTest, context.CancelFunc, chan error) {
	t.Helper()
	t.Setenv("PATH", t.TempDir()) // no Envoy: fleets only get bootstraps
	mt := &managerTest{t: t, results: message.NewWatchable[*bus.FleetSet]("results"), stateDir: t.TempDir()}
	m, err := New(Options{
		Fleets: mt.results, StateDir: mt.stateDir, Logger: testr.New(t),
		Xds:       XdsTarget{Host: "127.0.0.1", Port: 18000, TLS: &ClientTLS{CertFile: "/c/tls.crt", KeyFile: "/c/tls.key", CAFile: "/c/ca.crt"}},
		Backoff:   Backoff{Initial: 20 * time.Millisecond},
		RateLimit: testRateLimit, RateLimitPath: binary,
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
		<-done
	})
	return mt, cancel, done
}

// running returns the pid of the last start and whether it still runs.
func running(t *testing.T, dir string) (int, bool) {
	lines := startLines(t, filepath.Join(dir, "starts"))
	if len(lines) == 0 || lines[0] == "" {
		return 0, false
	}
	pid := pidOf(t, lines[len(lines)-1])
	return pid, alive(pid)
}

func TestRateLimitServiceRunsWhileNeeded(t *testing.T) {
	binary, dir := fakeRateLimit(t)
	mt, _, _ := startRateLimitManager(t, binary)

	mt.results.Publish(rateLimitResult(false))
	path := filepath.Join(FleetDir(mt.stateDir, "default/eg"), BootstrapFile)
	mt.waitFor("bootstrap", func() bool { _, err := os.Stat(path); return err == nil })
	if _, ok := running(t, dir); ok {
		t.Fatal("the rate limit service runs though no route uses global rate limits")
	}

	mt.results.Publish(rateLimitResult(true))
	mt.waitFor("the rate limit service", func() bool { _, ok := running(t, dir); return ok })
	pid, _ := running(t, dir)
	env, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("env.%d", pid)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CONFIG_TYPE=GRPC_XDS_SOTW", "CONFIG_GRPC_XDS_NODE_ID=" + ir.RateLimitNodeID,
		"CONFIG_GRPC_XDS_SERVER_URL=127.0.0.1:18000", "CONFIG_GRPC_XDS_SERVER_USE_TLS=true",
		"CONFIG_GRPC_XDS_CLIENT_TLS_CERT=/c/tls.crt", "CONFIG_GRPC_XDS_SERVER_TLS_CACERT=/c/ca.crt",
		"GRPC_UDS=" + RateLimitSocketPath(mt.stateDir), "REDIS_SOCKET_TYPE=tcp", "REDIS_URL=127.0.0.1:6379",
		"USE_STATSD=false", "PORT=0", "DEBUG_PORT=0",
	} {
		if !strings.Contains(string(env), want+"\n") {
			t.Errorf("environment lacks %s", want)
		}
	}

	// With no route using it, it stops.
	mt.results.Publish(rateLimitResult(false))
	mt.waitFor("the rate limit service to stop", func() bool { return !alive(pid) })
	if n := len(startLines(t, filepath.Join(dir, "starts"))); n != 1 {
		t.Errorf("%d starts, want 1", n)
	}
}

// TestRateLimitServiceKeptForFrozenClasses calls the reconciliation as the
// manager's goroutine does, one result after the other.
func TestRateLimitServiceKeptForFrozenClasses(t *testing.T) {
	binary, dir := fakeRateLimit(t)
	m, err := New(Options{Fleets: message.NewWatchable[*bus.FleetSet]("r"), StateDir: t.TempDir(), Logger: testr.New(t),
		Xds: XdsTarget{Host: "127.0.0.1", Port: 18000}, RateLimit: testRateLimit, RateLimitPath: binary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stopRateLimit)
	m.reconcileRateLimit(rateLimitResult(false, "eg"))
	if m.rateLimit != nil {
		t.Fatal("a frozen class started the rate limit service")
	}
	m.reconcileRateLimit(rateLimitResult(true))
	first := m.rateLimit
	if first == nil {
		t.Fatal("a route using global rate limits did not start the service")
	}
	m.reconcileRateLimit(rateLimitResult(false, "eg"))
	if m.rateLimit != first {
		t.Fatal("the rate limit service stopped while a class is frozen")
	}
	m.reconcileRateLimit(rateLimitResult(false))
	if m.rateLimit != nil {
		t.Fatal("the rate limit service runs with no route using it and no class frozen")
	}
	if lines := startLines(t, filepath.Join(dir, "starts")); len(lines) > 1 {
		t.Errorf("%d starts, want at most 1", len(lines))
	}
}

func TestRateLimitServiceStopsWithTheManager(t *testing.T) {
	binary, dir := fakeRateLimit(t)
	mt, cancel, done := startRateLimitManager(t, binary)
	mt.results.Publish(rateLimitResult(true))
	mt.waitFor("the rate limit service", func() bool { _, ok := running(t, dir); return ok })
	pid, _ := running(t, dir)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil // for the cleanup
	if alive(pid) {
		t.Errorf("the rate limit service %d still runs after the manager stopped", pid)
	}
}

func TestRateLimitOptionsRejected(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"missing binary", Options{RateLimit: testRateLimit, RateLimitPath: filepath.Join(t.TempDir(), "missing")}, "provider.file.rateLimitPath"},
		{"socket path too long", Options{RateLimit: testRateLimit, StateDir: long}, "shorter provider.file.stateDir"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Fleets = message.NewWatchable[*bus.FleetSet]("r")
			if tc.opts.StateDir == "" {
				tc.opts.StateDir = t.TempDir()
			}
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRateLimitEnvReadsThePasswordFile(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rl := &egv1a1.RateLimit{Backend: egv1a1.RateLimitBackend{Redis: &egv1a1.RateLimitRedis{
		URL: "redis:6380", TLS: &egv1a1.RateLimitRedisTLS{CACertFile: "/redis/ca.crt"},
		Auth: &egv1a1.RateLimitRedisAuth{PasswordFile: pw},
	}}}
	env, err := rateLimitEnv(Options{StateDir: "/state", RateLimit: rl, Xds: XdsTarget{Host: "127.0.0.1", Port: 1}})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(env, "\n") + "\n"
	for _, want := range []string{"REDIS_AUTH=s3cret\n", "REDIS_TLS=true\n", "REDIS_TLS_CACERT=/redis/ca.crt\n"} {
		if !strings.Contains(joined, want) {
			t.Errorf("environment lacks %q", want)
		}
	}
	if strings.Contains(joined, "CONFIG_GRPC_XDS_SERVER_USE_TLS") {
		t.Error("plaintext xDS is configured with TLS")
	}
	rl.Backend.Redis.Auth.PasswordFile = filepath.Join(t.TempDir(), "missing")
	if _, err := rateLimitEnv(Options{StateDir: "/state", RateLimit: rl}); err == nil || !strings.Contains(err.Error(), "passwordFile") {
		t.Fatalf("error %v, want a passwordFile error", err)
	}
}
