package gatewayapi

import (
	"maps"

	corev1 "k8s.io/api/core/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// envoyProxyModel is an EnvoyProxy referenced by one of our GatewayClasses.
type envoyProxyModel struct {
	obj *egv1a1.EnvoyProxy
	err *envoyProxyError
}

// envoyProxyError validates ep once and remembers it for the status.
func (t *translator) envoyProxyError(ep *egv1a1.EnvoyProxy) *envoyProxyError {
	key := keyOf(ep.Namespace, ep.Name)
	if m := t.envoyProxies[key]; m != nil {
		return m.err
	}
	m := &envoyProxyModel{obj: ep, err: validateEnvoyProxy(ep)}
	t.envoyProxies[key] = m
	return m.err
}

// validateEnvoyProxy checks what the CRD schema would reject, since providers
// other than Kubernetes (files) do not run the schema.
func validateEnvoyProxy(ep *egv1a1.EnvoyProxy) *envoyProxyError {
	const invalid = envoyProxyReasonInvalid
	if p := ep.Spec.Provider; p != nil && p.Type != egv1a1.ProviderTypeKubernetes {
		return errorf(invalid, "provider.type %q is not supported (only %s)", p.Type, egv1a1.ProviderTypeKubernetes)
	}
	switch ep.ServiceType() {
	case egv1a1.ServiceTypeLoadBalancer, egv1a1.ServiceTypeNodePort, egv1a1.ServiceTypeClusterIP:
	default:
		return errorf(invalid, "envoyService.type %q is not LoadBalancer, NodePort or ClusterIP", ep.ServiceType())
	}
	if ep.Replicas() < 0 {
		return errorf(invalid, "envoyDeployment.replicas %d is negative", ep.Replicas())
	}
	if ep.Image() == "" {
		return errorf(invalid, "envoyDeployment.container.image is empty")
	}
	switch ep.LogLevel() {
	case egv1a1.LogLevelTrace, egv1a1.LogLevelDebug, egv1a1.LogLevelInfo, egv1a1.LogLevelWarn, egv1a1.LogLevelError:
	default:
		return errorf(invalid, "logging.level %q is not one of trace, debug, info, warn, error", ep.LogLevel())
	}
	return nil
}

// proxyConfig resolves the infrastructure parameters of a fleet; a nil
// EnvoyProxy gives the defaults.
func proxyConfig(ep *egv1a1.EnvoyProxy) ir.ProxyConfig {
	cfg := ir.ProxyConfig{
		ServiceType:        string(ep.ServiceType()),
		ServiceAnnotations: copyStringMap(ep.ServiceAnnotations()),
		Replicas:           ep.Replicas(),
		Image:              ep.Image(),
		Resources:          irResources(ep.Resources()),
		LogLevel:           string(ep.LogLevel()),
	}
	if ep != nil {
		cfg.EnvoyProxy = ep.Namespace + "/" + ep.Name
	}
	return cfg
}

func irResources(r *corev1.ResourceRequirements) *ir.Resources {
	if r == nil || (len(r.Requests) == 0 && len(r.Limits) == 0) {
		return nil
	}
	return &ir.Resources{Requests: quantities(r.Requests), Limits: quantities(r.Limits)}
}

func quantities(l corev1.ResourceList) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := make(map[string]string, len(l))
	for name, q := range l {
		out[string(name)] = q.String()
	}
	return out
}

func copyStringMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// sortedEnvoyProxies lists the referenced EnvoyProxies by namespace and name.
func (t *translator) sortedEnvoyProxies() []*envoyProxyModel {
	out := make([]*envoyProxyModel, 0, len(t.envoyProxies))
	for _, m := range t.envoyProxies {
		out = append(out, m)
	}
	sortBy(out, func(ma, mb *envoyProxyModel) bool {
		a, b := ma.obj, mb.obj
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out
}
