package dataplane_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

const listenerPort = 10080

// httpIR is one HTTP listener with one route per path prefix to a cluster
// of the given endpoints.
func httpIR(endpoints []netip.AddrPort, routes ...*ir.HTTPRoute) *ir.Xds {
	c := &ir.Cluster{Name: "service/default/backend/8080", Discovery: ir.DiscoveryEDS}
	for _, e := range endpoints {
		c.Endpoints = append(c.Endpoints, &ir.Endpoint{Address: e.Addr().String(), Port: uint32(e.Port())})
	}
	return &ir.Xds{
		HTTP: []*ir.HTTPListener{{
			Name: "default/eg/http", Address: "0.0.0.0", Port: listenerPort, Hostnames: []string{"*"},
			Routes: routes,
		}},
		Clusters: []*ir.Cluster{c},
	}
}

func toBackend(name, host string, prefix string) *ir.HTTPRoute {
	return &ir.HTTPRoute{
		Name: name, Hostname: host,
		PathMatch:   &ir.StringMatch{Type: ir.MatchPrefix, Value: prefix},
		Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/default/backend/8080", Weight: 1}}},
	}
}

// TestEndToEnd runs the real xDS server with a translated configuration
// and a data plane started from the bootstrap internal/infra/bootstrap
// builds, sends requests through it, then changes the route and the
// endpoints and checks again.
func TestEndToEnd(t *testing.T) {
	srv, xdsPort := xdsServer(t)
	b1, b2 := backend(t, "one"), backend(t, "two")
	serve(t, srv, httpIR([]netip.AddrPort{b1}, toBackend("httproute/default/r/rule/0/match/0", "www.example.com", "/app")))

	pod := podIP()
	p := startProxy(t, plainBootstrap(xdsPort), pod, "--service-node", "pod-1")
	waitReady(t, p)
	c := client(t)
	url := func(path string) string {
		return fmt.Sprintf("http://%s%s", netip.AddrPortFrom(pod, listenerPort), path)
	}

	r, err := get(c, url("/app/x?q=1"), "www.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if r.status != 200 || r.echo == nil || r.echo.Backend != "one" || r.echo.Path != "/app/x?q=1" || r.echo.Host != "www.example.com" {
		t.Fatalf("response = %d %q", r.status, r.body)
	}
	if r.header.Get("Server") != "envoy" || r.header.Get("X-Envoy-Upstream-Service-Time") == "" {
		t.Errorf("response headers = %v, want server: envoy and x-envoy-upstream-service-time", r.header)
	}
	h := r.echo.Headers
	if h["X-Forwarded-Proto"][0] != "http" || len(h["X-Request-Id"][0]) != 36 || h["X-Envoy-External-Address"][0] != "127.0.0.1" ||
		h["X-Forwarded-For"][0] != pod.String() || h["X-Envoy-Expected-Rq-Timeout-Ms"][0] != "15000" {
		t.Errorf("upstream request headers = %v", h)
	}
	if r, err := get(c, url("/other"), "www.example.com"); err != nil || r.status != 404 || r.body != "" {
		t.Errorf("unrouted path: %v %+v, want 404 with no body", err, r)
	}
	if r, err := get(c, url("/app"), "nope.example.com"); err != nil || r.status != 404 {
		t.Errorf("unknown host: %v %+v, want 404", err, r)
	}

	// Change the route: /app is gone, /v2 goes to the backend.
	serve(t, srv, httpIR([]netip.AddrPort{b1}, toBackend("httproute/default/r/rule/0/match/0", "www.example.com", "/v2")))
	eventually(t, "route update", func() (bool, string) {
		r, err := get(c, url("/v2/y"), "www.example.com")
		if err != nil {
			return false, err.Error()
		}
		return r.status == 200, fmt.Sprint(r.status)
	})
	if r, err := get(c, url("/app/x"), "www.example.com"); err != nil || r.status != 404 {
		t.Errorf("old route still served: %v %+v", err, r)
	}

	// Move the endpoints to the second backend.
	serve(t, srv, httpIR([]netip.AddrPort{b2}, toBackend("httproute/default/r/rule/0/match/0", "www.example.com", "/v2")))
	eventually(t, "endpoint update", func() (bool, string) {
		r, err := get(c, url("/v2/y"), "www.example.com")
		if err != nil {
			return false, err.Error()
		}
		return r.echo != nil && r.echo.Backend == "two", r.body
	})

	// No endpoints at all: Envoy's "no healthy upstream".
	serve(t, srv, httpIR(nil, toBackend("httproute/default/r/rule/0/match/0", "www.example.com", "/v2")))
	eventually(t, "no endpoints", func() (bool, string) {
		r, err := get(c, url("/v2/y"), "www.example.com")
		if err != nil {
			return false, err.Error()
		}
		return r.status == 503 && r.body == "no healthy upstream", fmt.Sprintf("%d %q", r.status, r.body)
	})
}
