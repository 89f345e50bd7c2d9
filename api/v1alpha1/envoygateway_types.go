package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KindEnvoyGateway is the kind of the static configuration file.
const KindEnvoyGateway = "EnvoyGateway"

// DefaultControllerName is the GatewayClass controllerName served by default.
const DefaultControllerName = "gateway.envoyproxy.io/gatewayclass-controller"

// EnvoyGateway is the static configuration of the control plane, read once at
// start-up from a file (it is not a CRD). Every field is optional; see
// internal/config for the defaults and the validation rules.
type EnvoyGateway struct {
	metav1.TypeMeta `json:",inline"`

	// Gateway names the GatewayClass controller this control plane is.
	Gateway *GatewayConfig `json:"gateway,omitempty"`

	// Provider says where the Gateway API resources come from.
	Provider *EnvoyGatewayProvider `json:"provider,omitempty"`

	// XdsServer configures the gRPC server Envoy proxies connect to.
	XdsServer *XdsServer `json:"xdsServer,omitempty"`

	// Admin configures the admin HTTP listener (health, readiness, metrics, status).
	Admin *Admin `json:"admin,omitempty"`

	// Logging configures the control-plane logs.
	Logging *Logging `json:"logging,omitempty"`

	// RateLimit turns on global rate limiting: the control plane runs the
	// rate limit service while some route uses a Global RateLimitFilter and
	// serves it its configuration over xDS. Without it, routes using a
	// Global RateLimitFilter are rejected; Local ones work regardless.
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
}

// GatewayConfig names the GatewayClass controller.
type GatewayConfig struct {
	// ControllerName is matched against GatewayClass spec.controllerName; every
	// GatewayClass naming it is served.
	ControllerName string `json:"controllerName,omitempty"`
}

// EnvoyGatewayProvider says where resources come from.
type EnvoyGatewayProvider struct {
	// Type is Kubernetes or File.
	Type ProviderType `json:"type,omitempty"`

	// Kubernetes configures the Kubernetes provider.
	Kubernetes *EnvoyGatewayKubernetesProvider `json:"kubernetes,omitempty"`

	// File configures the File provider.
	File *EnvoyGatewayFileProvider `json:"file,omitempty"`

	// BatchDelay is how long the provider waits, after a change, for more
	// changes before it publishes a new snapshot (the File provider's
	// debounce, the Kubernetes provider's batching of events): a burst of
	// changes is processed once. Default 100ms; at most 10s.
	BatchDelay *metav1.Duration `json:"batchDelay,omitempty"`
}

// EnvoyGatewayKubernetesProvider configures the Kubernetes provider.
type EnvoyGatewayKubernetesProvider struct {
	// LeaderElection configures leader election of status and infra writers.
	LeaderElection *LeaderElection `json:"leaderElection,omitempty"`
}

// LeaderElection configures the lease that elects the single status writer.
type LeaderElection struct {
	// Disable turns leader election off (single replica or development).
	Disable bool `json:"disable,omitempty"`
}

// EnvoyGatewayFileProvider configures the File provider.
type EnvoyGatewayFileProvider struct {
	// Paths are files and folders of Gateway API YAML to watch.
	Paths []string `json:"paths,omitempty"`

	// EnvoyPath is the Envoy binary to run per fleet; empty means look for
	// `envoy` on PATH, and run no proxy when there is none.
	EnvoyPath string `json:"envoyPath,omitempty"`

	// StateDir is where per-fleet Envoy bootstraps and logs are written.
	StateDir string `json:"stateDir,omitempty"`

	// RateLimitPath is the rate limit service binary (built from
	// github.com/envoyproxy/ratelimit's src/service_cmd) to run when
	// rateLimit is configured; empty means look for `ratelimit`, then
	// `service_cmd`, on PATH, and run no service when there is none.
	RateLimitPath string `json:"rateLimitPath,omitempty"`
}

// XdsServer configures the xDS gRPC server.
type XdsServer struct {
	// Address is the IP address to listen on.
	Address string `json:"address,omitempty"`

	// Port is the TCP port to listen on.
	Port int32 `json:"port,omitempty"`

	// TLS holds the server certificate, key and client CA (mTLS). Required
	// unless Plaintext is set.
	TLS *XdsServerTLS `json:"tls,omitempty"`

	// Plaintext serves xDS without TLS. Allowed only on a loopback address,
	// for local development.
	Plaintext bool `json:"plaintext,omitempty"`
}

// XdsServerTLS names the PEM files of the xDS server's mTLS configuration.
type XdsServerTLS struct {
	// CertFile is the server certificate chain.
	CertFile string `json:"certFile,omitempty"`
	// KeyFile is the server private key.
	KeyFile string `json:"keyFile,omitempty"`
	// CAFile is the CA bundle client certificates must chain to.
	CAFile string `json:"caFile,omitempty"`
}

// Admin configures the admin HTTP listener.
type Admin struct {
	// Address is host:port of the admin listener.
	Address string `json:"address,omitempty"`

	// EnablePprof serves Go's profiles (net/http/pprof) under /debug/pprof/
	// on the admin listener. Off by default: only turn it on where the
	// admin address is not reachable by untrusted clients.
	EnablePprof bool `json:"enablePprof,omitempty"`
}

// Logging configures the control-plane logs.
type Logging struct {
	// Level is debug, info, warn or error.
	Level LogLevel `json:"level,omitempty"`
}

// RateLimit configures the rate limit service (github.com/envoyproxy/ratelimit)
// that counts the requests of Global RateLimitFilters.
type RateLimit struct {
	// Backend is where the service keeps its counters.
	Backend RateLimitBackend `json:"backend"`

	// Deployment configures the service's Deployment (Kubernetes provider).
	Deployment *RateLimitDeployment `json:"deployment,omitempty"`

	// Timeout bounds how long Envoy waits for the service's answer, as a Go
	// duration ("100ms", the default).
	Timeout string `json:"timeout,omitempty"`

	// FailClosed answers requests with HTTP 500 when the service cannot be
	// reached or does not answer in time. By default such requests are let
	// through: an outage of the rate limiter does not take routes down.
	FailClosed bool `json:"failClosed,omitempty"`
}

// RateLimitBackend is the store of the rate limit service's counters.
type RateLimitBackend struct {
	// Redis is the Redis server the service keeps its counters in.
	Redis *RateLimitRedis `json:"redis,omitempty"`
}

// RateLimitRedis is a Redis server.
type RateLimitRedis struct {
	// URL is the server's host:port ("redis.redis-system.svc:6379").
	URL string `json:"url"`

	// TLS, when set, connects to Redis with TLS.
	TLS *RateLimitRedisTLS `json:"tls,omitempty"`

	// Auth, when set, authenticates to Redis with a password.
	Auth *RateLimitRedisAuth `json:"auth,omitempty"`
}

// RateLimitRedisTLS configures TLS to Redis. With neither field set, the
// server certificate is verified against the system's roots.
type RateLimitRedisTLS struct {
	// CACertSecret (Kubernetes provider) names a Secret in the control
	// plane's namespace whose "ca.crt" holds the CA bundle the Redis
	// server certificate must chain to.
	CACertSecret string `json:"caCertSecret,omitempty"`

	// CACertFile (File provider) is a PEM file of the CA bundle the Redis
	// server certificate must chain to.
	CACertFile string `json:"caCertFile,omitempty"`
}

// RateLimitRedisAuth names where the Redis password ("password" or
// "user:password") is kept: a Secret with the Kubernetes provider, a file
// with the File provider.
type RateLimitRedisAuth struct {
	// Secret (Kubernetes provider) is a key of a Secret in the control
	// plane's namespace.
	Secret *SecretKeyReference `json:"secret,omitempty"`

	// PasswordFile (File provider) is a file holding the password.
	PasswordFile string `json:"passwordFile,omitempty"`
}

// SecretKeyReference names one key of a Secret in the control plane's namespace.
type SecretKeyReference struct {
	// Name is the Secret's name.
	Name string `json:"name"`
	// Key is the key of the Secret's data.
	Key string `json:"key"`
}

// RateLimitDeployment configures the rate limit service's Deployment.
type RateLimitDeployment struct {
	// Image is the rate limit service image.
	Image string `json:"image,omitempty"`

	// Replicas is the number of service Pods (1 by default).
	Replicas *int32 `json:"replicas,omitempty"`

	// Resources are the service container's compute resources.
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
}
