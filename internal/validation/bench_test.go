package validation

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// benchRoute is an HTTPRoute as in the translate benchmark: a hostname, a
// path and header match, a header filter.
const benchRoute = `apiVersion: gateway.networking.k8s.io/v1
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

// BenchmarkValidateHTTPRoute measures one HTTPRoute through pruning,
// defaulting, schema and CEL validation (compiled once, outside the loop).
func BenchmarkValidateHTTPRoute(b *testing.B) {
	v, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	data, err := yaml.YAMLToJSON([]byte(benchRoute))
	if err != nil {
		b.Fatal(err)
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(data, &obj); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	v.Validate(ctx, &unstructured.Unstructured{Object: obj}) // compile
	b.ResetTimer()
	for b.Loop() {
		u := &unstructured.Unstructured{Object: runtimeDeepCopy(obj)}
		if errs := v.Validate(ctx, u); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func runtimeDeepCopy(in map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: in}).DeepCopy().Object
}
