package render

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// configMap holds the fleet's Envoy bootstrap under BootstrapKey.
func configMap(p *ir.ProxyInfra, opts Options, bootstrap string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: objectMeta(p, opts),
		Data:       map[string]string{BootstrapKey: bootstrap},
	}
}
