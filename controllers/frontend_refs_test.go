package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestCollectFrontendCARefs(t *testing.T) {
	other := gwapiv1.Namespace("other")
	ref := func(kind, name string, ns *gwapiv1.Namespace) gwapiv1.ObjectReference {
		return gwapiv1.ObjectReference{Group: "", Kind: gwapiv1.Kind(kind), Name: gwapiv1.ObjectName(name), Namespace: ns}
	}
	validation := func(refs ...gwapiv1.ObjectReference) *gwapiv1.FrontendTLSValidation {
		return &gwapiv1.FrontendTLSValidation{CACertificateRefs: refs}
	}
	cases := []struct {
		name                    string
		tls                     *gwapiv1.GatewayTLSConfig
		wantConfigMaps, wantSec []types.NamespacedName
	}{{
		name: "no spec.tls",
	}, {
		name: "no frontend",
		tls:  &gwapiv1.GatewayTLSConfig{},
	}, {
		name: "default and per-port references, other namespaces and unsupported kinds",
		tls: &gwapiv1.GatewayTLSConfig{Frontend: &gwapiv1.FrontendTLSConfig{
			Default: gwapiv1.TLSConfig{Validation: validation(ref("ConfigMap", "ca", nil), ref("Service", "svc", nil))},
			PerPort: []gwapiv1.TLSPortConfig{
				{Port: 8443, TLS: gwapiv1.TLSConfig{Validation: validation(ref("Secret", "ca-secret", nil), ref("ConfigMap", "far", &other))}},
				{Port: 9443},
			},
		}},
		wantConfigMaps: []types.NamespacedName{{Namespace: "default", Name: "ca"}, {Namespace: "other", Name: "far"}},
		wantSec:        []types.NamespacedName{{Namespace: "default", Name: "ca-secret"}},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refs := newReferences()
			gw := &gwapiv1.Gateway{Spec: gwapiv1.GatewaySpec{TLS: c.tls}}
			gw.Namespace = "default"
			collectFrontendCARefs(gw, refs)
			if want := sets.New(c.wantConfigMaps...); !refs.configMaps.Equal(want) {
				t.Errorf("configMaps = %v, want %v", refs.configMaps.UnsortedList(), c.wantConfigMaps)
			}
			if want := sets.New(c.wantSec...); !refs.secrets.Equal(want) {
				t.Errorf("secrets = %v, want %v", refs.secrets.UnsortedList(), c.wantSec)
			}
		})
	}
}
