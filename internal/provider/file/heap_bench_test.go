package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/go-logr/logr"

	"github.com/envoygw/envoy-gateway/internal/benchheap"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// BenchmarkProviderHeap reports the memory a File provider holds once it
// has read a folder of 10,000 HTTPRoutes, each of two rules forwarding to
// a Service of its own with an EndpointSlice of three endpoints, one
// object per file (50,000 files, as bench-e2e writes them), and published
// its snapshots: held-MB is its heap objects, resident-MB the heap memory
// the runtime keeps for it once every free page is returned to the system
// (its objects and the unused room in the pages they occupy: what it adds
// to RSS at best). ns/op is the time to read the files.
func BenchmarkProviderHeap(b *testing.B) {
	dir := b.TempDir()
	writeHeapWorkload(b, dir, 10000)
	var held benchheap.Memory
	for b.Loop() {
		b.StopTimer()
		before := benchheap.Settled()
		b.StartTimer()
		p, res, eps := loadProvider(b, dir)
		b.StopTimer()
		held = benchheap.Settled().Since(before)
		if snap, _ := res.Load(); snap == nil || len(snap.HTTPRoutes) != 10000 {
			b.Fatal("the snapshot does not hold the 10,000 routes")
		}
		runtime.KeepAlive(p)
		runtime.KeepAlive(eps)
		b.StartTimer()
	}
	held.Report(b)
}

// loadProvider reads dir with a provider, as its Start does first, and
// publishes its snapshots.
func loadProvider(b testing.TB, dir string) (*Provider, *message.Watchable[*gatewayapi.Resources], *message.Watchable[*ir.Endpoints]) {
	res := message.NewWatchable[*gatewayapi.Resources]("resources")
	eps := message.NewWatchable[*ir.Endpoints]("endpoints")
	p := New(Options{Paths: []string{dir}, Resources: res, Endpoints: eps, Logger: logr.Discard(), Resync: -1})
	l := listFiles(p.opts.Paths)
	if len(l.problems) > 0 {
		b.Fatal(l.problems)
	}
	p.refresh(context.Background(), l.files, nil, true)
	p.publish()
	for name, st := range p.files {
		if st.errors != nil {
			b.Fatalf("%s: %v", name, st.errors)
		}
	}
	return p, res, eps
}

// writeHeapWorkload writes the Gateway, its GatewayClass and n routes with
// their Services and EndpointSlices into dir, one object per file.
func writeHeapWorkload(b testing.TB, dir string, n int) {
	write := func(rel, content string) {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("base/gatewayclass.yaml", `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
`)
	write("base/gateway.yaml", `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: gateways}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
  - {name: http-alt, protocol: HTTP, port: 8080, allowedRoutes: {namespaces: {from: All}}}
`)
	for i := range n {
		ns := fmt.Sprintf("ns-%d", i%10)
		write(fmt.Sprintf("httproute/%s/route-%d.yaml", ns, i), heapRoute(ns, i))
		for rule := range 2 {
			svc := fmt.Sprintf("svc-%d-%d", i, rule)
			write(fmt.Sprintf("service/%s/%s.yaml", ns, svc), fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: %s, namespace: %s}
spec:
  ports: [{name: http, port: 8080, targetPort: 3000, protocol: TCP}]
`, svc, ns))
			write(fmt.Sprintf("endpointslice/%s/%s-1.yaml", ns, svc), heapSlice(ns, svc, i, rule))
		}
	}
}

func heapRoute(ns string, i int) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route-%[2]d, namespace: %[1]s}
spec:
  parentRefs: [{name: eg, namespace: gateways}]
  hostnames: [route-%[2]d.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}, headers: [{name: x-tenant, value: t-%[2]d}]}]
    backendRefs: [{name: svc-%[2]d-0, port: 8080}]
  - matches: [{path: {type: Exact, value: /healthz}}]
    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-probe, value: "1"}]}}]
    backendRefs: [{name: svc-%[2]d-1, port: 8080}]
`, ns, i)
}

func heapSlice(ns, svc string, i, rule int) string {
	s := fmt.Sprintf(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: %s-1
  namespace: %s
  labels: {kubernetes.io/service-name: %s}
addressType: IPv4
ports: [{name: http, port: 3000, protocol: TCP}]
endpoints:
`, svc, ns, svc)
	for e := range 3 {
		s += fmt.Sprintf("- {addresses: [10.%d.%d.%d], conditions: {ready: true}}\n", rule*100+e, (i/250)%250, i%250)
	}
	return s
}
