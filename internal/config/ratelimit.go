package config

import (
	"net"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// maxRateLimitTimeout bounds rateLimit.timeout: Envoy holds every request of
// a rate-limited route for up to this long.
const maxRateLimitTimeout = 10 * time.Second

// validateRateLimit checks a defaulted rateLimit section. Secrets belong to
// the Kubernetes provider and files to the File provider.
func validateRateLimit(rl *egv1a1.RateLimit, provider egv1a1.ProviderType, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateRedis(rl.Backend.Redis, provider, path.Child("backend", "redis"))...)
	if d, err := time.ParseDuration(rl.Timeout); err != nil || d <= 0 || d > maxRateLimitTimeout {
		errs = append(errs, field.Invalid(path.Child("timeout"), rl.Timeout,
			"must be a Go duration above 0 and at most "+maxRateLimitTimeout.String()+", e.g. 100ms"))
	}
	if d := rl.Deployment; d != nil {
		if d.Image == "" {
			errs = append(errs, field.Required(path.Child("deployment", "image"), ""))
		}
		if d.Replicas != nil && *d.Replicas < 0 {
			errs = append(errs, field.Invalid(path.Child("deployment", "replicas"), *d.Replicas, "must not be negative"))
		}
	}
	return errs
}

func validateRedis(r *egv1a1.RateLimitRedis, provider egv1a1.ProviderType, path *field.Path) field.ErrorList {
	if r == nil {
		return field.ErrorList{field.Required(path, "the rate limit service keeps its counters in Redis")}
	}
	var errs field.ErrorList
	if err := validateHostPort(r.URL); err != "" {
		errs = append(errs, field.Invalid(path.Child("url"), r.URL, err))
	}
	if t := r.TLS; t != nil {
		errs = append(errs, providerOnly(provider, egv1a1.ProviderTypeKubernetes, t.CACertSecret != "", path.Child("tls", "caCertSecret"))...)
		errs = append(errs, providerOnly(provider, egv1a1.ProviderTypeFile, t.CACertFile != "", path.Child("tls", "caCertFile"))...)
		if t.CACertSecret != "" {
			errs = append(errs, dnsSubdomain(t.CACertSecret, path.Child("tls", "caCertSecret"))...)
		}
	}
	if a := r.Auth; a != nil {
		errs = append(errs, validateRedisAuth(a, provider, path.Child("auth"))...)
	}
	return errs
}

func validateRedisAuth(a *egv1a1.RateLimitRedisAuth, provider egv1a1.ProviderType, path *field.Path) field.ErrorList {
	switch {
	case a.Secret == nil && a.PasswordFile == "":
		return field.ErrorList{field.Required(path, "one of secret (Kubernetes provider) and passwordFile (File provider)")}
	case a.Secret != nil && a.PasswordFile != "":
		return field.ErrorList{field.Forbidden(path.Child("passwordFile"), "must not be set together with secret")}
	}
	errs := providerOnly(provider, egv1a1.ProviderTypeKubernetes, a.Secret != nil, path.Child("secret"))
	errs = append(errs, providerOnly(provider, egv1a1.ProviderTypeFile, a.PasswordFile != "", path.Child("passwordFile"))...)
	if s := a.Secret; s != nil {
		errs = append(errs, dnsSubdomain(s.Name, path.Child("secret", "name"))...)
		for _, msg := range validation.IsConfigMapKey(s.Key) {
			errs = append(errs, field.Invalid(path.Child("secret", "key"), s.Key, msg))
		}
	}
	return errs
}

// providerOnly forbids a field that is set under a provider it does not belong to.
func providerOnly(provider, want egv1a1.ProviderType, set bool, path *field.Path) field.ErrorList {
	if set && provider != want {
		return field.ErrorList{field.Forbidden(path, "only allowed with the "+string(want)+" provider")}
	}
	return nil
}

func dnsSubdomain(name string, path *field.Path) field.ErrorList {
	msgs := validation.IsDNS1123Subdomain(name)
	errs := make(field.ErrorList, 0, len(msgs))
	for _, msg := range msgs {
		errs = append(errs, field.Invalid(path, name, msg))
	}
	return errs
}

// validateHostPort returns why s is not host:port with a port in 1-65535, or "".
func validateHostPort(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return "must be host:port, e.g. redis.redis-system.svc:6379"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "port must be between 1 and 65535"
	}
	return ""
}
