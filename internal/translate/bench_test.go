package translate

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envoygw/envoy-gateway/internal/provider/file"
)

// routesInput is a Gateway, a backend and n HTTPRoutes (500 hostnames, one
// path, header match and header filter each).
func routesInput(tb testing.TB, n int) []file.FileData {
	head, err := os.ReadFile("../../config/samples/standalone/resources/gateway.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	b.Write(head)
	for i := range n {
		fmt.Fprintf(&b, `---
apiVersion: gateway.networking.k8s.io/v1
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
`, i, i%500)
	}
	return []file.FileData{{Name: "routes.yaml", Data: []byte(b.String())}}
}

// BenchmarkTranslate10kRoutes is `envoy-gateway translate` over 10,000
// HTTPRoutes: parsing, validation (schema and CEL), both translators and YAML output.
func BenchmarkTranslate10kRoutes(b *testing.B) {
	files := routesInput(b, 10000)
	opts := Options{To: ToXds, Format: FormatYAML}
	if _, err := Translate(context.Background(), files, opts); err != nil { // compile the validators
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := Translate(context.Background(), files, opts); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start (all cores,
// garbage collection included): steadier than wall time on a shared machine.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
