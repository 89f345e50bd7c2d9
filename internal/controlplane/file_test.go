package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/credentials/insecure"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/config"
	"github.com/envoygw/envoy-gateway/internal/provider/file"
	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

const fileResources = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend}
spec:
  parentRefs: [{name: eg}]
  hostnames: [www.example.com]
  rules: [{backendRefs: [{name: backend, port: 3000}]}]
---
apiVersion: v1
kind: Service
metadata: {name: backend}
spec: {ports: [{port: 3000}]}
`

// fileControlPlane runs a control plane with the File provider over a
// temporary folder, plaintext xDS and the admin listener on free ports.
type fileControlPlane struct {
	t     *testing.T
	dir   string
	cp    *ControlPlane
	reg   *prometheus.Registry
	envoy *xdstest.Client
}

func startFileControlPlane(t *testing.T) *fileControlPlane {
	t.Helper()
	t.Setenv("PATH", t.TempDir()) // no envoy binary: xDS only
	f := &fileControlPlane{t: t, dir: t.TempDir()}
	f.write(fileResources)
	cfg := &egv1a1.EnvoyGateway{
		Provider: &egv1a1.EnvoyGatewayProvider{Type: egv1a1.ProviderTypeFile,
			File: &egv1a1.EnvoyGatewayFileProvider{Paths: []string{f.dir}, StateDir: t.TempDir()}},
		XdsServer: &egv1a1.XdsServer{Address: "127.0.0.1", Plaintext: true},
		Admin:     &egv1a1.Admin{Address: "127.0.0.1:0"},
	}
	config.SetDefaults(cfg)
	cfg.XdsServer.Port = 0
	f.reg = prometheus.NewRegistry()
	cp, err := New(Options{Config: cfg, Logger: testr.New(t), Registry: f.reg})
	if err != nil {
		t.Fatal(err)
	}
	f.cp = cp
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cp.Run(ctx) }()
	envoy, err := xdstest.Dial(cp.XdsAddress(), "default/eg", insecure.NewCredentials())
	if err != nil {
		t.Fatal(err)
	}
	f.envoy = envoy
	t.Cleanup(func() {
		envoy.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("control plane stopped with %v", err)
		}
	})
	return f
}

func (f *fileControlPlane) write(content string) {
	f.t.Helper()
	f.writeFile("resources.yaml", content)
}

func (f *fileControlPlane) writeFile(name, content string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fileControlPlane) waitFor(what string, ok func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous for loaded machines; decides no result
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.t.Fatalf("timed out waiting for %s (xDS client error: %v)", what, f.envoy.Err())
}

// domains returns the virtual host domains the proxy holds.
func (f *fileControlPlane) domains() []string {
	var out []string
	for _, m := range f.envoy.Resources(resourcev3.RouteType) {
		for _, vh := range m.(*routev3.RouteConfiguration).GetVirtualHosts() {
			out = append(out, vh.GetDomains()...)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fileControlPlane) status() file.StatusReport {
	f.t.Helper()
	resp, err := http.Get("http://" + f.cp.AdminAddress() + "/api/status")
	if err != nil {
		f.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var report file.StatusReport
	if err := json.NewDecoder(resp.Body).Decode(&report); err != nil {
		f.t.Fatal(err)
	}
	return report
}

func TestFileProviderServesEditsAndKeepsLastGoodConfig(t *testing.T) {
	f := startFileControlPlane(t)
	f.waitFor("the initial route", func() bool { return slices.Equal(f.domains(), []string{"www.example.com"}) })
	v1 := f.envoy.Version(resourcev3.RouteType)

	f.write(strings.Replace(fileResources, "www.example.com", "api.example.com", 1))
	f.waitFor("the edited route", func() bool { return slices.Equal(f.domains(), []string{"api.example.com"}) })
	v2 := f.envoy.Version(resourcev3.RouteType)
	if v2 == v1 {
		t.Errorf("route version did not change: %s", v2)
	}

	_, published := f.cp.resources.Load()
	f.write(strings.Replace(fileResources, "port: 3000", "port: 0", 1))
	var report file.StatusReport
	f.waitFor("the error in /api/status", func() bool { report = f.status(); return len(report.Errors) > 0 })
	e := report.Errors[0]
	if !strings.HasSuffix(e.File, "resources.yaml") || e.Document != 3 || e.Field != "spec.rules[0].backendRefs[0].port" {
		t.Errorf("status error = %+v, want resources.yaml document 3 field spec.rules[0].backendRefs[0].port", e)
	}
	if got := f.domains(); !slices.Equal(got, []string{"api.example.com"}) || f.envoy.Version(resourcev3.RouteType) != v2 {
		t.Errorf("a broken file changed the served config: domains %v, version %s (was %s)", got, f.envoy.Version(resourcev3.RouteType), v2)
	}
	if !routeAccepted(report) {
		t.Errorf("the last good route is not reported Accepted in /api/status: %+v", report.Resources)
	}

	if err := os.Remove(filepath.Join(f.dir, "resources.yaml")); err != nil {
		t.Fatal(err)
	}
	f.waitFor("the deleted file's config to go", func() bool {
		return len(f.envoy.Names(resourcev3.ListenerType)) == 0 && len(f.status().Errors) == 0
	})
	// The provider handles changes in order: the deletion published the only
	// snapshot since the broken write, which published none.
	if _, v := f.cp.resources.Load(); v != published+1 {
		t.Errorf("%d resource snapshots since the broken write, want 1 (the deletion)", v-published)
	}
}

func routeAccepted(report file.StatusReport) bool {
	for _, r := range report.Resources {
		if r.Kind != "HTTPRoute" || r.Source == nil || r.Source.Document != 3 {
			continue
		}
		b, _ := json.Marshal(r.Status)
		return strings.Contains(string(b), `"reason":"Accepted","status":"True","type":"Accepted"`) // map keys print sorted
	}
	return false
}

// TestFileProviderRouteEditsArePatched edits a route file: the File
// provider gives the objects of the files that did not change as they
// were, so the resource translator patches its last model with the edited
// route instead of translating everything again (gatewayapi.Translator,
// patchRoutes). An infra state change that lands in the same snapshot
// makes that one edit a full translation, hence three edits and at least
// one patch.
func TestFileProviderRouteEditsArePatched(t *testing.T) {
	f := startFileControlPlane(t)
	route := func(host string) string {
		return strings.ReplaceAll(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: extra}
spec:
  parentRefs: [{name: eg}]
  hostnames: [HOST]
  rules: [{backendRefs: [{name: backend, port: 3000}]}]
`, "HOST", host)
	}
	f.writeFile("extra.yaml", route("extra-0.example.com"))
	f.waitFor("the extra route", func() bool { return slices.Contains(f.domains(), "extra-0.example.com") })
	patches := func() float64 { return f.metricWithLabel("envoy_gateway_translations_total", "mode", "patch") }
	before := patches()
	for i := 1; i <= 3; i++ {
		host := fmt.Sprintf("extra-%d.example.com", i)
		f.writeFile("extra.yaml", route(host))
		f.waitFor(host, func() bool { return slices.Equal(f.domains(), []string{host, "www.example.com"}) })
	}
	if got := patches(); got < before+1 {
		t.Errorf("none of 3 route edits was patched (%v patches before, %v after)", before, got)
	}
}

// metricWithLabel is the value of the counter name with label=value in the
// control plane's registry, 0 when absent.
func (f *fileControlPlane) metricWithLabel(name, label, value string) float64 {
	f.t.Helper()
	families, err := f.reg.Gather()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, fam := range families {
		if fam.GetName() != name {
			continue
		}
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
