package render

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// serviceAccount is the fleet's identity; Envoy never calls the API server,
// so no token is mounted.
func serviceAccount(p *ir.ProxyInfra, opts Options) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   objectMeta(p, opts),
		AutomountServiceAccountToken: new(false),
	}
}
