package file

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// BenchmarkInForceRouteChange measures what one HTTPRoute file changing
// costs the content in force of 10,000 route files and 10,000 Service
// files: the new definition and the Resources snapshot.
func BenchmarkInForceRouteChange(b *testing.B) {
	const n = 10000
	file := func(name string, obj client.Object) *Parsed {
		return &Parsed{Objects: []Object{{Source: Source{File: name, Document: 1, Line: 1}, kind: kinds[gvkOf(obj)], Object: obj}}}
	}
	route := func(i, v int) *Parsed {
		name := fmt.Sprintf("routes/r%05d.yaml", i)
		return file(name, &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{
			Namespace: fmt.Sprintf("ns-%d", i%10), Name: fmt.Sprintf("r%d", i), Generation: int64(v)}})
	}
	f := newInForce()
	for i := range n {
		f.set(fmt.Sprintf("routes/r%05d.yaml", i), route(i, 1))
		name := fmt.Sprintf("services/s%05d.yaml", i)
		f.set(name, file(name, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns-%d", i%10), Name: fmt.Sprintf("s%d", i)}}))
	}
	f.resources(nil)
	b.ReportAllocs()
	v := 1
	for b.Loop() {
		v++
		k := (v * 7919) % n
		f.set(fmt.Sprintf("routes/r%05d.yaml", k), route(k, v))
		if res := f.resources(nil); len(res.HTTPRoutes) != n {
			b.Fatalf("%d routes", len(res.HTTPRoutes))
		}
	}
}
