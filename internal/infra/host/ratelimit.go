package host

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// The rate limit service's files, in the "ratelimit" folder of the state folder.
const (
	RateLimitDir     = "ratelimit"
	RateLimitSocket  = "grpc.sock"
	RateLimitLogFile = "ratelimit.log"
)

// maxSocketPath is the longest unix socket path Linux takes (sun_path is
// 108 bytes with the terminating NUL).
const maxSocketPath = 107

// rateLimitFleet names the rate limit service in logs.
const rateLimitFleet = "ratelimit"

// RateLimitSocketPath is the unix socket the rate limit service serves gRPC
// on, where the proxies of this host reach it.
func RateLimitSocketPath(stateDir string) string {
	return filepath.Join(stateDir, RateLimitDir, RateLimitSocket)
}

// rateLimitService is the supervised rate limit service process.
type rateLimitService struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// findRateLimit returns the configured binary (which must exist), or
// `ratelimit` then `service_cmd` from PATH, or "" when there is none.
func findRateLimit(configured string) (string, error) {
	if configured != "" {
		path, err := exec.LookPath(configured)
		if err != nil {
			return "", fmt.Errorf("provider.file.rateLimitPath: %w", err)
		}
		return path, nil
	}
	for _, name := range []string{"ratelimit", "service_cmd"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", nil
}

// setupRateLimit checks the rate limit options and finds the binary.
func (m *Manager) setupRateLimit() error {
	if m.opts.RateLimit == nil {
		return nil
	}
	if p := RateLimitSocketPath(m.opts.StateDir); len(p) > maxSocketPath {
		return fmt.Errorf("rate limit service socket %s is longer than %d bytes: use a shorter provider.file.stateDir", p, maxSocketPath)
	}
	binary, err := findRateLimit(m.opts.RateLimitPath)
	m.rateLimitBinary = binary
	return err
}

// reconcileRateLimit runs the rate limit service while a fleet has global
// rate limits (or a GatewayClass is frozen and it runs: its fleets keep
// what they had), and stops it otherwise.
func (m *Manager) reconcileRateLimit(result *bus.FleetSet) {
	need := result.UsesGlobalRateLimit() || (m.rateLimit != nil && len(result.FrozenGatewayClasses) > 0)
	switch {
	case need && m.rateLimit == nil:
		m.startRateLimit()
	case !need && m.rateLimit != nil:
		m.stopRateLimit()
		m.log.Info("rate limit service stopped: no route uses global rate limits")
	}
}

func (m *Manager) startRateLimit() {
	if m.opts.RateLimit == nil {
		m.log.Error(nil, "a route uses global rate limits, but rate limiting is not configured")
		return
	}
	if m.rateLimitBinary == "" {
		if !m.rateLimitHinted {
			m.rateLimitHinted = true
			m.log.Info("routes use global rate limits, but there is no rate limit service binary "+
				"(`ratelimit` or `service_cmd` on PATH, or provider.file.rateLimitPath): requests are not limited globally",
				"socket", RateLimitSocketPath(m.opts.StateDir))
		}
		return
	}
	dir := filepath.Join(m.opts.StateDir, RateLimitDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		m.log.Error(err, "cannot create the rate limit service's folder")
		return
	}
	env, err := rateLimitEnv(m.opts)
	if err != nil {
		m.log.Error(err, "cannot configure the rate limit service")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc := &rateLimitService{cancel: cancel, done: make(chan struct{})}
	m.rateLimit = svc
	go func() {
		defer close(svc.done)
		supervise(ctx, processOptions{
			Fleet:       rateLimitFleet,
			Kind:        "rate limit service",
			Binary:      m.rateLimitBinary,
			Env:         env,
			Dir:         dir,
			StaleFiles:  []string{RateLimitSocketPath(m.opts.StateDir)},
			LogFile:     filepath.Join(dir, RateLimitLogFile),
			Backoff:     m.opts.Backoff,
			StopTimeout: m.opts.StopTimeout,
			Logger:      m.log,
			Report:      func(bool) {},
		})
	}()
}

// stopRateLimit stops the rate limit service, if it runs.
func (m *Manager) stopRateLimit() {
	if m.rateLimit == nil {
		return
	}
	m.rateLimit.cancel()
	<-m.rateLimit.done
	m.rateLimit = nil
}

// rateLimitEnv is the service's environment on this host: configured over
// xDS like the proxies (same target and client certificate), gRPC on the
// unix socket, its HTTP and debug listeners on loopback ports it picks, and
// Redis as configured (the CA and the password from files).
func rateLimitEnv(o Options) ([]string, error) {
	var tls *render.XdsClientTLSFiles
	if o.Xds.TLS != nil {
		tls = &render.XdsClientTLSFiles{CertFile: o.Xds.TLS.CertFile, KeyFile: o.Xds.TLS.KeyFile, CAFile: o.Xds.TLS.CAFile, ServerSAN: o.Xds.TLS.ServerSAN}
	}
	redis := o.RateLimit.Backend.Redis
	xdsURL := net.JoinHostPort(o.Xds.Host, strconv.FormatUint(uint64(o.Xds.Port), 10))
	var env []string
	for _, e := range render.RateLimitServiceEnv(xdsURL, tls, redis.URL) {
		env = append(env, e.Name+"="+e.Value)
	}
	env = append(env,
		"GRPC_UDS="+RateLimitSocketPath(o.StateDir),
		"HOST=127.0.0.1", "PORT=0", "DEBUG_HOST=127.0.0.1", "DEBUG_PORT=0",
	)
	if redis.TLS != nil {
		env = append(env, "REDIS_TLS=true")
		if redis.TLS.CACertFile != "" {
			env = append(env, "REDIS_TLS_CACERT="+redis.TLS.CACertFile)
		}
	}
	if a := redis.Auth; a != nil && a.PasswordFile != "" {
		b, err := os.ReadFile(a.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("rateLimit.backend.redis.auth.passwordFile: %w", err)
		}
		env = append(env, "REDIS_AUTH="+strings.TrimSpace(string(b)))
	}
	return env, nil
}
