package render

import (
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// The rate limit service's objects: one ServiceAccount, Deployment and
// Service named RateLimitName in the control plane's namespace, labeled
// RateLimitLabels (not ManagedLabels: they are not a fleet's).
const (
	// RateLimitName is the name of every object of the rate limit service.
	RateLimitName = "envoy-ratelimit"
	// ComponentRateLimit is the value of LabelComponent on them.
	ComponentRateLimit = "ratelimit"
	// RateLimitGRPCPort is the service's gRPC port (ShouldRateLimit), on
	// the container and the Service.
	RateLimitGRPCPort uint32 = 8081
	// RateLimitHTTPPort serves /healthcheck.
	RateLimitHTTPPort uint32 = 8080
	// RateLimitDebugPort is the service's debug listener (/rlconfig).
	RateLimitDebugPort uint32 = 6070
	// RateLimitContainerName is the name of the service's container.
	RateLimitContainerName = "ratelimit"
	// rateLimitXdsCertDir and rateLimitRedisCADir are where the xDS client
	// certificate and the Redis CA Secrets are mounted.
	rateLimitXdsCertDir = "/certs/xds"
	rateLimitRedisCADir = "/certs/redis"
	// rateLimitCommand is the service's binary in the upstream image.
	rateLimitCommand = "/bin/ratelimit"
)

// RateLimitDefaultResources are the service container's requests when the
// configuration sets none.
var RateLimitDefaultResources = corev1.ResourceRequirements{
	Requests: corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("50m"),
		corev1.ResourceMemory: resource.MustParse("64Mi"),
	},
}

// RateLimitObjects are the objects of the rate limit service, in apply order.
type RateLimitObjects struct {
	ServiceAccount *corev1.ServiceAccount
	Deployment     *appsv1.Deployment
	Service        *corev1.Service
}

// Items returns the objects in apply order.
func (o *RateLimitObjects) Items() []Object {
	return []Object{o.ServiceAccount, o.Deployment, o.Service}
}

// RateLimitLabels are the labels of every object of the rate limit service;
// they also select its Pods.
func RateLimitLabels() map[string]string {
	return map[string]string{
		LabelName:      RateLimitName,
		LabelComponent: ComponentRateLimit,
		LabelManagedBy: ManagedBy,
	}
}

// RateLimitServiceHost is the DNS name proxies reach the service at.
func RateLimitServiceHost(namespace string) string {
	return RateLimitName + "." + namespace + ".svc.cluster.local"
}

// RenderRateLimit returns the objects that run the rate limit service with
// the static configuration rl (defaults applied): configured over xDS by
// the control plane (mTLS with the proxies' client certificate Secret), its
// counters in Redis.
func RenderRateLimit(rl *egv1a1.RateLimit, opts Options) (*RateLimitObjects, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("invalid render options: %w", err)
	}
	if rl == nil || rl.Backend.Redis == nil || rl.Deployment == nil || rl.Deployment.Image == "" {
		return nil, errors.New("rate limit configuration needs backend.redis and deployment.image")
	}
	resources := *RateLimitDefaultResources.DeepCopy()
	if rl.Deployment.Resources != nil {
		resources = *rl.Deployment.Resources.DeepCopy()
	}
	replicas := egv1a1.DefaultRateLimitReplicas
	if rl.Deployment.Replicas != nil {
		replicas = *rl.Deployment.Replicas
	}
	meta := metav1.ObjectMeta{Name: RateLimitName, Namespace: opts.Namespace, Labels: RateLimitLabels()}
	return &RateLimitObjects{
		ServiceAccount: &corev1.ServiceAccount{
			TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta:                   meta,
			AutomountServiceAccountToken: new(false),
		},
		Deployment: &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: meta,
			Spec: appsv1.DeploymentSpec{
				Replicas: new(replicas),
				Selector: &metav1.LabelSelector{MatchLabels: RateLimitLabels()},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: RateLimitLabels()},
					Spec:       rateLimitPodSpec(rl, opts, resources),
				},
			},
		},
		Service: &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: meta,
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeClusterIP,
				Selector: RateLimitLabels(),
				Ports: []corev1.ServicePort{{
					Name: "grpc", Protocol: corev1.ProtocolTCP, Port: int32(RateLimitGRPCPort),
					TargetPort: intstr.FromString("grpc"), AppProtocol: new("kubernetes.io/h2c"),
				}},
			},
		},
	}, nil
}

func rateLimitPodSpec(rl *egv1a1.RateLimit, opts Options, resources corev1.ResourceRequirements) corev1.PodSpec {
	volumes := []corev1.Volume{{
		Name:         clientCertVolume,
		VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: opts.ClientCertSecret}},
	}}
	mounts := []corev1.VolumeMount{{Name: clientCertVolume, MountPath: rateLimitXdsCertDir, ReadOnly: true}}
	if tls := rl.Backend.Redis.TLS; tls != nil && tls.CACertSecret != "" {
		volumes = append(volumes, corev1.Volume{
			Name:         "redis-ca",
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: tls.CACertSecret}},
		})
		mounts = append(mounts, corev1.VolumeMount{Name: "redis-ca", MountPath: rateLimitRedisCADir, ReadOnly: true})
	}
	return restrictedPodSpec(RateLimitName, []corev1.Container{{
		Name:      RateLimitContainerName,
		Image:     rl.Deployment.Image,
		Command:   []string{rateLimitCommand},
		Env:       rateLimitEnv(rl, opts),
		Resources: resources,
		Ports: []corev1.ContainerPort{
			{Name: "grpc", ContainerPort: int32(RateLimitGRPCPort), Protocol: corev1.ProtocolTCP},
			{Name: "http", ContainerPort: int32(RateLimitHTTPPort), Protocol: corev1.ProtocolTCP},
		},
		ReadinessProbe:  httpReadinessProbe("/healthcheck", "http"),
		SecurityContext: restrictedContainerSecurity(),
		VolumeMounts:    mounts,
	}}, volumes)
}

// RateLimitServiceEnv is the rate limit service's configuration shared by
// every way of running it (its settings are environment variables): xDS
// configuration from xdsURL with the service's node id, the given xDS
// client TLS files (mTLS, the xDS server's certificate checked against
// caFile, and serverSAN when set), no statsd, and Redis over TCP at
// redisURL.
func RateLimitServiceEnv(xdsURL string, tls *XdsClientTLSFiles, redisURL string) []corev1.EnvVar {
	env := []corev1.EnvVar{
		{Name: "USE_STATSD", Value: "false"},
		{Name: "LOG_LEVEL", Value: "warn"},
		{Name: "CONFIG_TYPE", Value: "GRPC_XDS_SOTW"},
		{Name: "CONFIG_GRPC_XDS_NODE_ID", Value: ir.RateLimitNodeID},
		{Name: "CONFIG_GRPC_XDS_SERVER_URL", Value: xdsURL},
		{Name: "REDIS_SOCKET_TYPE", Value: "tcp"},
		{Name: "REDIS_URL", Value: redisURL},
	}
	if tls == nil {
		return env
	}
	env = append(env,
		corev1.EnvVar{Name: "CONFIG_GRPC_XDS_SERVER_USE_TLS", Value: "true"},
		corev1.EnvVar{Name: "CONFIG_GRPC_XDS_CLIENT_TLS_CERT", Value: tls.CertFile},
		corev1.EnvVar{Name: "CONFIG_GRPC_XDS_CLIENT_TLS_KEY", Value: tls.KeyFile},
		corev1.EnvVar{Name: "CONFIG_GRPC_XDS_SERVER_TLS_CACERT", Value: tls.CAFile},
	)
	if tls.ServerSAN != "" {
		env = append(env, corev1.EnvVar{Name: "CONFIG_GRPC_XDS_SERVER_TLS_SAN", Value: tls.ServerSAN})
	}
	return env
}

// XdsClientTLSFiles are the PEM files the rate limit service presents to,
// and checks, the xDS server with.
type XdsClientTLSFiles struct {
	CertFile, KeyFile, CAFile string
	// ServerSAN, when set, is the name the server certificate must carry
	// instead of the xDS host name.
	ServerSAN string
}

// rateLimitEnv is the service's environment in Kubernetes: the shared
// settings, its ports, Redis TLS and the Redis password from its Secret.
func rateLimitEnv(rl *egv1a1.RateLimit, opts Options) []corev1.EnvVar {
	xdsURL := net.JoinHostPort(opts.XdsHost, strconv.FormatUint(uint64(opts.XdsPort), 10))
	env := RateLimitServiceEnv(xdsURL, &XdsClientTLSFiles{
		CertFile:  path.Join(rateLimitXdsCertDir, "tls.crt"),
		KeyFile:   path.Join(rateLimitXdsCertDir, "tls.key"),
		CAFile:    path.Join(rateLimitXdsCertDir, "ca.crt"),
		ServerSAN: opts.XdsServerSAN,
	}, rl.Backend.Redis.URL)
	env = append(env,
		corev1.EnvVar{Name: "GRPC_PORT", Value: strconv.FormatUint(uint64(RateLimitGRPCPort), 10)},
		corev1.EnvVar{Name: "PORT", Value: strconv.FormatUint(uint64(RateLimitHTTPPort), 10)},
		corev1.EnvVar{Name: "DEBUG_PORT", Value: strconv.FormatUint(uint64(RateLimitDebugPort), 10)},
	)
	redis := rl.Backend.Redis
	if redis.TLS != nil {
		env = append(env, corev1.EnvVar{Name: "REDIS_TLS", Value: "true"})
		if redis.TLS.CACertSecret != "" {
			env = append(env, corev1.EnvVar{Name: "REDIS_TLS_CACERT", Value: path.Join(rateLimitRedisCADir, "ca.crt")})
		}
	}
	if a := redis.Auth; a != nil && a.Secret != nil {
		env = append(env, corev1.EnvVar{Name: "REDIS_AUTH", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: a.Secret.Name}, Key: a.Secret.Key,
		}}})
	}
	return env
}
