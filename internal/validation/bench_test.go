package validation

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/parallel"
)

// benchRoute is an HTTPRoute as in the translate benchmark: a hostname, a
// path and header match, a header filter. %[1]d numbers the route, %[2]d
// its hostname.
const benchRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-%[1]d
  namespace: default
spec:
  parentRefs:
  - name: eg
  hostnames:
  - app-%[2]d.example.com
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /svc-%[1]d
      headers:
      - name: x-tenant
        value: t%[1]d
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set:
        - name: x-route
          value: r%[1]d
    backendRefs:
    - name: backend
      port: 3000
`

// benchRoutes returns n distinct HTTPRoutes (500 hostnames) as unstructured
// content, decoded as the File provider decodes them.
func benchRoutes(b *testing.B, n int) []map[string]any {
	b.Helper()
	out := make([]map[string]any, n)
	for i := range out {
		data, err := yaml.YAMLToJSON(fmt.Appendf(nil, benchRoute, i, i%500))
		if err != nil {
			b.Fatal(err)
		}
		if err := utiljson.Unmarshal(data, &out[i]); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// BenchmarkValidateHTTPRoute measures one HTTPRoute through pruning,
// defaulting, schema and CEL validation (compiled once, outside the loop).
func BenchmarkValidateHTTPRoute(b *testing.B) {
	v, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	obj := benchRoutes(b, 1)[0]
	ctx := context.Background()
	v.Validate(ctx, &unstructured.Unstructured{Object: runtimeDeepCopy(obj)}) // compile
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		u := &unstructured.Unstructured{Object: runtimeDeepCopy(obj)}
		if errs := v.Validate(ctx, u); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

// BenchmarkValidateHTTPRoutes validates 1,000 distinct HTTPRoutes per
// operation on GOMAXPROCS workers, as the File provider and translate do
// (the copies of the decoded input are made outside the timer).
func BenchmarkValidateHTTPRoutes(b *testing.B) {
	v, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	routes := benchRoutes(b, 1000)
	ctx := context.Background()
	v.Validate(ctx, &unstructured.Unstructured{Object: runtimeDeepCopy(routes[0])}) // compile
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		objs := make([]*unstructured.Unstructured, len(routes))
		for i, r := range routes {
			objs[i] = &unstructured.Unstructured{Object: runtimeDeepCopy(r)}
		}
		b.StartTimer()
		failed := make([]bool, len(objs))
		parallel.For(len(objs), 0, func(i int) { failed[i] = len(v.Validate(ctx, objs[i])) > 0 })
		for i, f := range failed {
			if f {
				b.Fatalf("route %d: %v", i, v.Validate(ctx, objs[i]))
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(routes)), "ns/route")
}

func runtimeDeepCopy(in map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: in}).DeepCopy().Object
}
