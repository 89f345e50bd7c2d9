package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestCollectBackendClientCertificateRef(t *testing.T) {
	gateway := func(ref *gwapiv1.SecretObjectReference) *gwapiv1.Gateway {
		gw := &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "gw", Name: "g"}}
		if ref != nil {
			gw.Spec.TLS = &gwapiv1.GatewayTLSConfig{Backend: &gwapiv1.GatewayBackendTLS{ClientCertificateRef: ref}}
		}
		return gw
	}
	cases := []struct {
		name string
		gw   *gwapiv1.Gateway
		want []types.NamespacedName
	}{
		{"no backend TLS", gateway(nil), nil},
		{"Secret in the Gateway's namespace", gateway(&gwapiv1.SecretObjectReference{Name: "c"}),
			[]types.NamespacedName{{Namespace: "gw", Name: "c"}}},
		{"explicit core Secret in another namespace", gateway(&gwapiv1.SecretObjectReference{
			Group: ptr.To(gwapiv1.Group("")), Kind: ptr.To(gwapiv1.Kind("Secret")), Name: "c", Namespace: ptr.To(gwapiv1.Namespace("certs")),
		}), []types.NamespacedName{{Namespace: "certs", Name: "c"}}},
		{"another kind is not a Secret", gateway(&gwapiv1.SecretObjectReference{Kind: ptr.To(gwapiv1.Kind("ConfigMap")), Name: "c"}), nil},
		{"another group is not a Secret", gateway(&gwapiv1.SecretObjectReference{Group: ptr.To(gwapiv1.Group("x.io")), Name: "c"}), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := sets.New[types.NamespacedName]()
			collectBackendClientCertificateRef(c.gw, got)
			if !got.Equal(sets.New(c.want...)) {
				t.Errorf("got %v, want %v", got.UnsortedList(), c.want)
			}
		})
	}
}
