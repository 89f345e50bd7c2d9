package config

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// Defaults of the static configuration.
const (
	DefaultXdsAddress   = "0.0.0.0"
	DefaultXdsPort      = 18000
	DefaultAdminAddress = "0.0.0.0:19000"
	DefaultLogLevel     = egv1a1.LogLevelInfo
	DefaultXdsCertFile  = "/certs/xds/server/tls.crt"
	DefaultXdsKeyFile   = "/certs/xds/server/tls.key"
	DefaultXdsCAFile    = "/certs/xds/server/ca.crt"
	// DefaultBatchDelay is provider.batchDelay when unset; MaxBatchDelay
	// bounds it.
	DefaultBatchDelay = 100 * time.Millisecond
	MaxBatchDelay     = 10 * time.Second
)

// Load reads, strictly decodes, defaults and validates the static config at
// path. An empty path means the defaults (Kubernetes provider).
func Load(path string) (*egv1a1.EnvoyGateway, error) {
	if path == "" {
		cfg := &egv1a1.EnvoyGateway{}
		SetDefaults(cfg)
		return cfg, Validate(cfg)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading static config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("static config %s: %w", path, err)
	}
	// Relative file provider paths are relative to the config file.
	base := filepath.Dir(path)
	if cfg.Provider.File != nil {
		for i, p := range cfg.Provider.File.Paths {
			cfg.Provider.File.Paths[i] = relativeTo(base, p)
		}
	}
	if rl := cfg.RateLimit; rl != nil && rl.Backend.Redis != nil {
		if tls := rl.Backend.Redis.TLS; tls != nil {
			tls.CACertFile = relativeTo(base, tls.CACertFile)
		}
		if auth := rl.Backend.Redis.Auth; auth != nil {
			auth.PasswordFile = relativeTo(base, auth.PasswordFile)
		}
	}
	return cfg, nil
}

// Parse strictly decodes a static config document, applies defaults and validates it.
func Parse(data []byte) (*egv1a1.EnvoyGateway, error) {
	cfg := &egv1a1.EnvoyGateway{}
	if err := decodeStrict(data, cfg); err != nil {
		return nil, err
	}
	SetDefaults(cfg)
	if err := Validate(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// SetDefaults fills every unset field with its default. It sets apiVersion and
// kind too, so a defaulted config can be printed and read back.
func SetDefaults(cfg *egv1a1.EnvoyGateway) {
	cfg.APIVersion = egv1a1.GroupVersion.String()
	cfg.Kind = egv1a1.KindEnvoyGateway
	if cfg.Gateway == nil {
		cfg.Gateway = &egv1a1.GatewayConfig{}
	}
	if cfg.Gateway.ControllerName == "" {
		cfg.Gateway.ControllerName = egv1a1.DefaultControllerName
	}
	if cfg.Provider == nil {
		cfg.Provider = &egv1a1.EnvoyGatewayProvider{}
	}
	if cfg.Provider.Type == "" {
		cfg.Provider.Type = egv1a1.ProviderTypeKubernetes
	}
	if cfg.Provider.BatchDelay == nil {
		cfg.Provider.BatchDelay = &metav1.Duration{Duration: DefaultBatchDelay}
	}
	if cfg.Provider.Type == egv1a1.ProviderTypeFile {
		if cfg.Provider.File == nil {
			cfg.Provider.File = &egv1a1.EnvoyGatewayFileProvider{}
		}
		if cfg.Provider.File.StateDir == "" {
			cfg.Provider.File.StateDir = filepath.Join(os.TempDir(), "envoy-gateway")
		}
	}
	if cfg.XdsServer == nil {
		cfg.XdsServer = &egv1a1.XdsServer{}
	}
	if cfg.XdsServer.Address == "" {
		cfg.XdsServer.Address = DefaultXdsAddress
	}
	if cfg.XdsServer.Port == 0 {
		cfg.XdsServer.Port = DefaultXdsPort
	}
	if !cfg.XdsServer.Plaintext {
		if cfg.XdsServer.TLS == nil {
			cfg.XdsServer.TLS = &egv1a1.XdsServerTLS{}
		}
		setDefault(&cfg.XdsServer.TLS.CertFile, DefaultXdsCertFile)
		setDefault(&cfg.XdsServer.TLS.KeyFile, DefaultXdsKeyFile)
		setDefault(&cfg.XdsServer.TLS.CAFile, DefaultXdsCAFile)
	}
	if cfg.Admin == nil {
		cfg.Admin = &egv1a1.Admin{}
	}
	setDefault(&cfg.Admin.Address, DefaultAdminAddress)
	if cfg.Logging == nil {
		cfg.Logging = &egv1a1.Logging{}
	}
	if cfg.Logging.Level == "" {
		cfg.Logging.Level = DefaultLogLevel
	}
	setRateLimitDefaults(cfg.RateLimit)
}

// setRateLimitDefaults fills the rate limit service's defaults when rate
// limiting is configured.
func setRateLimitDefaults(rl *egv1a1.RateLimit) {
	if rl == nil {
		return
	}
	setDefault(&rl.Timeout, egv1a1.DefaultRateLimitTimeout.String())
	if rl.Deployment == nil {
		rl.Deployment = &egv1a1.RateLimitDeployment{}
	}
	setDefault(&rl.Deployment.Image, egv1a1.DefaultRateLimitImage)
	if rl.Deployment.Replicas == nil {
		rl.Deployment.Replicas = new(egv1a1.DefaultRateLimitReplicas)
	}
}

// relativeTo resolves a relative, non-empty path against base.
func relativeTo(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

func setDefault(field *string, value string) {
	if *field == "" {
		*field = value
	}
}
