package ratelimit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/crypto"
	"github.com/envoygw/envoy-gateway/internal/infra/host"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
	"github.com/envoygw/envoy-gateway/internal/testenv"
	xdsrunner "github.com/envoygw/envoy-gateway/internal/xds/runner"
	xdsserver "github.com/envoygw/envoy-gateway/internal/xds/server"
)

// ServiceVersion is the github.com/envoyproxy/ratelimit version
// hack/ratelimit-assets.sh builds (a test checks they agree).
const ServiceVersion = "v1.4.1-0.20260122083618-3fb702589d36"

// waitTimeout bounds every wait for a process or a condition: an upper
// bound for loaded CI machines.
const waitTimeout = 30 * time.Second

// serviceBinary is the rate limit service binary: $EG_RATELIMIT_BIN, or
// where hack/ratelimit-assets.sh puts it.
func serviceBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv("EG_RATELIMIT_BIN")
	if path == "" {
		path = filepath.Join(testenv.RepoRoot(), "bin", "ratelimit", ServiceVersion+"-"+runtime.GOOS+"-"+runtime.GOARCH, "ratelimit")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("rate limit service binary %s not found: run `make ratelimit-assets` (builds it once from the Go module proxy)", path)
	}
	return path
}

// redisBinary is redis-server from PATH.
func redisBinary(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not found on PATH: run `make ratelimit-assets` (installs Debian's redis-server when run as root) " +
			"or `apt-get install -y redis-server`")
	}
	return path
}

// startRedis runs redis-server on a free loopback port until the test ends,
// without persistence, and returns its address. A port taken between
// choosing and binding it makes Redis exit: another port is tried then.
func startRedis(t *testing.T, binary string) string {
	t.Helper()
	dir := t.TempDir()
	for attempt := 1; ; attempt++ {
		addr, err := tryRedis(t, binary, dir)
		if err == nil {
			return addr
		}
		if attempt == 3 {
			t.Fatalf("redis-server did not start: %v (log %s)", err, filepath.Join(dir, "redis.log"))
		}
	}
}

func tryRedis(t *testing.T, binary, dir string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", err
	}
	defer func() { _ = logFile.Close() }()
	cmd := exec.Command(binary, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--daemonize", "no")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(waitTimeout)
	for !redisPing(addr) {
		select {
		case err := <-exited:
			return "", fmt.Errorf("redis-server exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return "", errors.New("redis-server does not answer PING")
		}
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(waitTimeout):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	return addr, nil
}

// redisPing reports whether Redis at addr answers PING.
func redisPing(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// controlPlane is the part of the control plane global rate limiting
// runs on, as `server` wires it with the File provider: the mTLS xDS
// server, the xDS runner and the host infra manager, fed fleet sets by the test.
type controlPlane struct {
	fleets    *message.Watchable[*bus.FleetSet]
	endpoints *message.Watchable[*ir.Endpoints]
	stateDir  string
}

// startControlPlane runs the xDS server (mTLS, certificates from
// crypto.Generate as certgen writes them), the xDS runner and the host
// infra manager (running the rate limit service binary) until the test ends.
// PATH is emptied first: no Envoy runs, a fleet only gets its bootstrap.
func startControlPlane(t *testing.T, rateLimitBinary string, rl *egv1a1.RateLimit) *controlPlane {
	t.Helper()
	t.Setenv("PATH", t.TempDir())
	certDir := t.TempDir()
	certs, err := crypto.Generate(crypto.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.WriteDir(certDir, false); err != nil {
		t.Fatal(err)
	}
	// A short state folder: the service's unix socket path is limited.
	stateDir, err := os.MkdirTemp("", "eg-rl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(stateDir) })
	log := testr.NewWithOptions(t, testr.Options{Verbosity: 1})
	serverCert := filepath.Join(certDir, crypto.ServerDir, crypto.CertFile)
	srv, err := xdsserver.New(xdsserver.Options{
		Address: "127.0.0.1",
		TLS: &xdsserver.TLSFiles{
			CertFile: serverCert,
			KeyFile:  filepath.Join(certDir, crypto.ServerDir, crypto.KeyFile),
			CAFile:   filepath.Join(certDir, crypto.ServerDir, crypto.CAFile),
		},
		Logger: log.WithName("xds-server"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	cp := &controlPlane{fleets: message.NewWatchable[*bus.FleetSet]("fleets"),
		endpoints: message.NewWatchable[*ir.Endpoints]("endpoints"), stateDir: stateDir}
	runner, err := xdsrunner.New(xdsrunner.Options{Fleets: cp.fleets, Endpoints: cp.endpoints, Server: srv,
		Logger: log.WithName("xds-runner")})
	if err != nil {
		t.Fatal(err)
	}
	port := uint32(srv.Addr().(*net.TCPAddr).Port)
	infra, err := host.New(host.Options{
		Fleets:        cp.fleets,
		StateDir:      stateDir,
		Xds:           host.XdsTarget{Host: "127.0.0.1", Port: port, TLS: host.ClientTLSFor(serverCert)},
		Logger:        log.WithName("host-infra"),
		Backoff:       host.Backoff{Initial: 200 * time.Millisecond},
		RateLimit:     rl,
		RateLimitPath: rateLimitBinary,
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, log, srv.Start, runner.Start, infra.Start)
	return cp
}

// run runs each start function until the test ends, then cancels them
// together and waits for them all.
func run(t *testing.T, log logr.Logger, starts ...func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, len(starts))
	for _, start := range starts {
		go func() { done <- start(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range starts {
			if err := <-done; err != nil {
				log.Error(err, "runner stopped with an error")
				t.Errorf("runner stopped with %v", err)
			}
		}
	})
}

// dialService connects to the rate limit service's gRPC unix socket and
// waits until it serves (it opens the socket once it has its first
// configuration from the xDS server).
func dialService(t *testing.T, socket string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	health := healthpb.NewHealthClient(conn)
	waitFor(t, "the rate limit service to serve on "+socket, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		res, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: "ratelimit"})
		return err == nil && res.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	return conn
}

// waitFor polls cond until it holds, failing after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
