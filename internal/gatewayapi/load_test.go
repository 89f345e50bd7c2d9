package gatewayapi

import (
	"strings"
	"testing"
)

func TestLoadResources(t *testing.T) {
	in := `
# a comment-only document
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: r, namespace: default}
spec: {}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: t, namespace: default}
spec: {}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: g, namespace: default}
spec: {from: [], to: []}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: default}
spec: {gatewayClassName: eg, listeners: []}
---
---
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: default}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-1, namespace: default}
addressType: IPv4
endpoints: []
---
apiVersion: v1
kind: Secret
metadata: {name: c, namespace: default}
type: kubernetes.io/tls
data: {tls.crt: Y2VydA==}
stringData: {tls.key: key}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: {name: p, namespace: default}
spec: {mergeGateways: true}
`
	res, err := LoadResources(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{
		"GatewayClasses": len(res.GatewayClasses), "Gateways": len(res.Gateways), "HTTPRoutes": len(res.HTTPRoutes),
		"TLSRoutes": len(res.TLSRoutes), "ReferenceGrants": len(res.ReferenceGrants), "Namespaces": len(res.Namespaces),
		"Services": len(res.Services), "EndpointSlices": len(res.EndpointSlices), "Secrets": len(res.Secrets), "EnvoyProxies": len(res.EnvoyProxies),
	}
	for kind, n := range counts {
		if n != 1 {
			t.Errorf("%s: got %d objects, want 1", kind, n)
		}
	}
	s := res.Secrets[0]
	if string(s.Data["tls.crt"]) != "cert" || string(s.Data["tls.key"]) != "key" || s.StringData != nil {
		t.Errorf("secret data = %q, stringData = %q; want stringData merged into data", s.Data, s.StringData)
	}
	if !res.EnvoyProxies[0].IsMergeGateways() {
		t.Error("EnvoyProxy spec was not decoded")
	}
}

func TestLoadResourcesErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown kind", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n", "document 0 (apps/v1 Deployment): unsupported kind"},
		{"unknown field", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {portz: []}\n", `unknown field "portz"`},
		{"TLSRoute of an old version", "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\nmetadata: {name: t}\n", "unsupported kind"},
		{"not yaml", "apiVersion: [\n", "document 0"},
		{"second document", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: Nope\n", "document 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadResources(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadResourcesEmpty(t *testing.T) {
	res, err := LoadResources(strings.NewReader("\n---\n# nothing\n---\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := Translate(res, Options{}); len(r.Fleets) != 0 || len(r.Statuses.Gateways) != 0 {
		t.Errorf("an empty stream translates to nothing, got %+v", r)
	}
}
