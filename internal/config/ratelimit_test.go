package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

const fileProvider = "provider:\n  type: File\n  file:\n    paths: [/etc/gw]\n"

func TestRateLimitDefaults(t *testing.T) {
	cfg, err := Parse([]byte(header + "rateLimit:\n  backend:\n    redis:\n      url: redis:6379\n"))
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	want := &egv1a1.RateLimit{
		Backend: egv1a1.RateLimitBackend{Redis: &egv1a1.RateLimitRedis{URL: "redis:6379"}},
		Deployment: &egv1a1.RateLimitDeployment{
			Image:    egv1a1.DefaultRateLimitImage,
			Replicas: new(egv1a1.DefaultRateLimitReplicas),
		},
		Timeout: "100ms",
	}
	if diff := cmp.Diff(want, cfg.RateLimit); diff != "" {
		t.Fatalf("rateLimit defaults mismatch (-want +got):\n%s", diff)
	}
}

func TestRateLimitAccepts(t *testing.T) {
	cases := []struct {
		name string
		doc  string
	}{
		{"kubernetes with tls and secret auth", header + `rateLimit:
  backend:
    redis:
      url: redis.redis-system.svc:6379
      tls:
        caCertSecret: redis-ca
      auth:
        secret: {name: redis-auth, key: password}
  deployment:
    image: registry.example.com/ratelimit:v1
    replicas: 3
  timeout: 250ms
  failClosed: true
`},
		{"file with tls and password file", header + fileProvider + `rateLimit:
  backend:
    redis:
      url: 127.0.0.1:6379
      tls:
        caCertFile: /etc/redis/ca.crt
      auth:
        passwordFile: /etc/redis/password
`},
		{"tls with the system roots", header + "rateLimit:\n  backend:\n    redis:\n      url: '[::1]:6379'\n      tls: {}\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.doc)); err != nil {
				t.Fatalf("Parse error: %v", err)
			}
		})
	}
}

func TestRateLimitRejects(t *testing.T) {
	redis := func(extra string) string {
		return "rateLimit:\n  backend:\n    redis:\n      url: redis:6379\n" + extra
	}
	// redisWith adds fields to the redis section.
	redisWith := func(fields string) string { return redis("") + fields }
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"unknown field", header + "rateLimit:\n  backend:\n    redis:\n      url: redis:6379\n  timout: 1s\n",
			[]string{"rateLimit.timout", "unknown field"}},
		{"unknown backend", header + "rateLimit:\n  backend:\n    memcache: {}\n", []string{"rateLimit.backend.memcache", "unknown field"}},
		{"no redis", header + "rateLimit:\n  backend: {}\n", []string{"rateLimit.backend.redis", "Required"}},
		{"redis url without port", header + "rateLimit:\n  backend:\n    redis:\n      url: redis\n",
			[]string{"rateLimit.backend.redis.url", "host:port"}},
		{"redis url without host", header + "rateLimit:\n  backend:\n    redis:\n      url: ':6379'\n",
			[]string{"rateLimit.backend.redis.url", "host:port"}},
		{"redis port out of range", header + "rateLimit:\n  backend:\n    redis:\n      url: redis:0\n",
			[]string{"rateLimit.backend.redis.url", "1 and 65535"}},
		{"timeout not a duration", header + redis("  timeout: soon\n"), []string{"rateLimit.timeout", "Go duration"}},
		{"timeout zero", header + redis("  timeout: 0s\n"), []string{"rateLimit.timeout", "above 0"}},
		{"timeout too long", header + redis("  timeout: 1m\n"), []string{"rateLimit.timeout", "at most 10s"}},
		{"timeout wrong type", header + redis("  timeout: 5\n"), []string{"rateLimit.timeout", "want string"}},
		{"negative replicas", header + redis("  deployment:\n    replicas: -1\n"), []string{"rateLimit.deployment.replicas", "negative"}},
		{"auth empty", header + redisWith("      auth: {}\n"),
			[]string{"rateLimit.backend.redis.auth", "Required"}},
		{"auth both", header + fileProvider + redisWith("      auth:\n        secret: {name: a, key: b}\n        passwordFile: /p\n"),
			[]string{"rateLimit.backend.redis.auth.passwordFile", "together with secret"}},
		{"auth secret with the file provider", header + fileProvider + redisWith("      auth:\n        secret: {name: a, key: b}\n"),
			[]string{"rateLimit.backend.redis.auth.secret", "Kubernetes provider"}},
		{"auth file with the kubernetes provider", header + redisWith("      auth:\n        passwordFile: /p\n"),
			[]string{"rateLimit.backend.redis.auth.passwordFile", "File provider"}},
		{"auth secret bad name", header + redisWith("      auth:\n        secret: {name: Bad_Name, key: password}\n"),
			[]string{"rateLimit.backend.redis.auth.secret.name", "Bad_Name"}},
		{"auth secret bad key", header + redisWith("      auth:\n        secret: {name: auth, key: 'a/b'}\n"),
			[]string{"rateLimit.backend.redis.auth.secret.key"}},
		{"tls file with the kubernetes provider", header + redisWith("      tls:\n        caCertFile: /ca.crt\n"),
			[]string{"rateLimit.backend.redis.tls.caCertFile", "File provider"}},
		{"tls secret with the file provider", header + fileProvider + redisWith("      tls:\n        caCertSecret: ca\n"),
			[]string{"rateLimit.backend.redis.tls.caCertSecret", "Kubernetes provider"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestSampleConfigsLoad loads every sample static configuration of the
// repository (config/samples/*/envoy-gateway.yaml).
func TestSampleConfigsLoad(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "config", "samples", "*", "envoy-gateway.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sample configurations: %v", err)
	}
	for _, p := range paths {
		if _, err := Load(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
