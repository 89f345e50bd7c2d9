package fastyaml

import (
	"encoding/json"
	"fmt"
	"testing"

	"sigs.k8s.io/yaml"
)

// routesJSON is xDS-like output with n routes, as `translate --to xds` prints.
func routesJSON(b *testing.B, n int) []byte {
	routes := make([]any, n)
	for i := range routes {
		routes[i] = map[string]any{
			"direct_response": map[string]any{"status": 500},
			"match": map[string]any{
				"headers":               []any{map[string]any{"name": "x-tenant", "string_match": map[string]any{"exact": fmt.Sprintf("t%d", i)}}},
				"path_separated_prefix": fmt.Sprintf("/svc-%d", i),
			},
			"name": fmt.Sprintf("httproute/default/route-%d/rule/0/match/0", i),
			"request_headers_to_add": []any{map[string]any{
				"append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
				"header":        map[string]any{"key": "x-route", "value": fmt.Sprintf("r%d", i)},
			}},
		}
	}
	doc := map[string]any{"default/eg": map[string]any{"routes": []any{map[string]any{
		"name":          "route/0.0.0.0/8080",
		"virtual_hosts": []any{map[string]any{"domains": []any{"app.example.com"}, "name": "app.example.com", "routes": routes}},
	}}}}
	js, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	return js
}

func BenchmarkJSONToYAML(b *testing.B) {
	js := routesJSON(b, 10000)
	b.SetBytes(int64(len(js)))
	for b.Loop() {
		if _, ok := JSONToYAML(js); !ok {
			b.Fatal("fast path refused the input")
		}
	}
}

func BenchmarkJSONToYAMLUpstream(b *testing.B) {
	js := routesJSON(b, 10000)
	b.SetBytes(int64(len(js)))
	for b.Loop() {
		if _, err := yaml.JSONToYAML(js); err != nil {
			b.Fatal(err)
		}
	}
}

// routeYAML is one route as in the translate benchmark.
const routeYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-1
  namespace: default
spec:
  parentRefs:
  - name: eg
  hostnames:
  - app-1.example.com
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /svc-1
      headers:
      - name: x-tenant
        value: t1
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set:
        - name: x-route
          value: r1
    backendRefs:
    - name: backend
      port: 3000
`

func BenchmarkYAMLToUnstructured(b *testing.B) {
	data := []byte(routeYAML)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, ok := YAMLToUnstructured(data); !ok {
			b.Fatal("fast path refused the route")
		}
	}
}
