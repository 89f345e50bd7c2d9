package config

import (
	"net"
	"net/netip"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

var (
	supportedProviders = []string{string(egv1a1.ProviderTypeFile), string(egv1a1.ProviderTypeKubernetes)}
	supportedLogLevels = []string{
		string(egv1a1.LogLevelDebug), string(egv1a1.LogLevelError),
		string(egv1a1.LogLevelInfo), string(egv1a1.LogLevelWarn),
	}
)

// Validate checks a defaulted static config. Every error names its field path.
func Validate(cfg *egv1a1.EnvoyGateway) error {
	var errs field.ErrorList
	if cfg.Gateway == nil || cfg.Gateway.ControllerName == "" {
		errs = append(errs, field.Required(field.NewPath("gateway", "controllerName"), ""))
	}
	errs = append(errs, validateProvider(cfg.Provider, field.NewPath("provider"))...)
	errs = append(errs, validateXdsServer(cfg.XdsServer, field.NewPath("xdsServer"))...)
	errs = append(errs, validateAdmin(cfg.Admin, field.NewPath("admin"))...)
	if cfg.RateLimit != nil && cfg.Provider != nil {
		errs = append(errs, validateRateLimit(cfg.RateLimit, cfg.Provider.Type, field.NewPath("rateLimit"))...)
	}
	if cfg.Logging != nil {
		lvl := string(cfg.Logging.Level)
		if !slices.Contains(supportedLogLevels, lvl) {
			errs = append(errs, field.NotSupported(field.NewPath("logging", "level"), lvl, supportedLogLevels))
		}
	}
	return errs.ToAggregate()
}

func validateProvider(p *egv1a1.EnvoyGatewayProvider, path *field.Path) field.ErrorList {
	if p == nil {
		return field.ErrorList{field.Required(path, "")}
	}
	var errs field.ErrorList
	if d := p.BatchDelay; d != nil && (d.Duration <= 0 || d.Duration > MaxBatchDelay) {
		errs = append(errs, field.Invalid(path.Child("batchDelay"), d.Duration.String(),
			"must be more than 0 and at most "+MaxBatchDelay.String()))
	}
	switch p.Type {
	case egv1a1.ProviderTypeKubernetes:
	case egv1a1.ProviderTypeFile:
		if p.File == nil || len(p.File.Paths) == 0 {
			errs = append(errs, field.Required(path.Child("file", "paths"), "the File provider needs at least one file or folder"))
			break
		}
		for i, fp := range p.File.Paths {
			if fp == "" {
				errs = append(errs, field.Required(path.Child("file", "paths").Index(i), ""))
			}
		}
	default:
		errs = append(errs, field.NotSupported(path.Child("type"), string(p.Type), supportedProviders))
	}
	return errs
}

func validateXdsServer(x *egv1a1.XdsServer, path *field.Path) field.ErrorList {
	if x == nil {
		return field.ErrorList{field.Required(path, "")}
	}
	var errs field.ErrorList
	addr, err := netip.ParseAddr(x.Address)
	if err != nil {
		errs = append(errs, field.Invalid(path.Child("address"), x.Address, "must be an IP address"))
	}
	if x.Port < 1 || x.Port > 65535 {
		errs = append(errs, field.Invalid(path.Child("port"), x.Port, "must be between 1 and 65535"))
	}
	if x.Plaintext {
		if err == nil && !addr.IsLoopback() {
			errs = append(errs, field.Invalid(path.Child("plaintext"), true,
				"plaintext xDS is allowed only on a loopback address; set xdsServer.address to 127.0.0.1 or configure xdsServer.tls"))
		}
		if x.TLS != nil {
			errs = append(errs, field.Forbidden(path.Child("tls"), "must not be set together with plaintext"))
		}
		return errs
	}
	if x.TLS == nil {
		return append(errs, field.Required(path.Child("tls"), "mTLS files are required unless plaintext is set"))
	}
	files := []struct{ name, value string }{
		{"certFile", x.TLS.CertFile}, {"keyFile", x.TLS.KeyFile}, {"caFile", x.TLS.CAFile},
	}
	for _, f := range files {
		if f.value == "" {
			errs = append(errs, field.Required(path.Child("tls", f.name), ""))
		}
	}
	return errs
}

func validateAdmin(a *egv1a1.Admin, path *field.Path) field.ErrorList {
	if a == nil {
		return field.ErrorList{field.Required(path, "")}
	}
	host, port, err := net.SplitHostPort(a.Address)
	if err != nil {
		return field.ErrorList{field.Invalid(path.Child("address"), a.Address, "must be host:port, e.g. 127.0.0.1:19000")}
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil && host != "localhost" {
			return field.ErrorList{field.Invalid(path.Child("address"), a.Address, "host must be an IP address or localhost")}
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return field.ErrorList{field.Invalid(path.Child("address"), a.Address, "port must be between 0 and 65535")}
	}
	return nil
}
