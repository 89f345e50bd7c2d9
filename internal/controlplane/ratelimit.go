package controlplane

import (
	"time"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/infra/host"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// globalRateLimit is the rate limit service the proxies ask, from the
// static configuration cfg, or nil when rate limiting is not configured.
// With the File provider the service runs on this host on a unix socket in
// the state folder; with the Kubernetes provider it is the envoy-ratelimit
// Service of the control plane's namespace.
func globalRateLimit(cfg *egv1a1.EnvoyGateway) *ir.GlobalRateLimit {
	rl := cfg.RateLimit
	if rl == nil {
		return nil
	}
	timeout, err := time.ParseDuration(rl.Timeout)
	if err != nil || timeout <= 0 {
		timeout = egv1a1.DefaultRateLimitTimeout // config validation rejects it first
	}
	g := &ir.GlobalRateLimit{Timeout: ir.Duration(timeout), FailClosed: rl.FailClosed}
	if cfg.Provider.Type == egv1a1.ProviderTypeFile {
		g.Pipe = host.RateLimitSocketPath(cfg.Provider.File.StateDir)
		return g
	}
	g.Host, g.Port = render.RateLimitServiceHost(namespace()), render.RateLimitGRPCPort
	return g
}
