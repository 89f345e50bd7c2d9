package file

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

const serviceYAML = `apiVersion: v1
kind: Service
metadata:
  name: backend
  namespace: team-a
spec:
  ports:
  - name: http
    port: 3000
`

// sliceYAML is an EndpointSlice of team-a/backend with the given addresses.
func sliceYAML(name string, addresses ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: %s
  namespace: team-a
  labels:
    kubernetes.io/service-name: backend
addressType: IPv4
ports:
- name: http
  port: 3000
endpoints:
`, name)
	for _, a := range addresses {
		fmt.Fprintf(&b, "- addresses: [%s]\n", a)
	}
	return b.String()
}

// nextEndpoints waits for an endpoints snapshot newer than version.
func (pt *providerTest) nextEndpoints(version uint64) (*ir.Endpoints, uint64) {
	pt.t.Helper()
	deadline := time.Now().Add(waitBound)
	for time.Now().Before(deadline) {
		if eps, v := pt.endpoints.Load(); v > version {
			return eps, v
		}
		time.Sleep(5 * time.Millisecond)
	}
	pt.t.Fatalf("no new endpoints snapshot within %s", waitBound)
	return nil, 0
}

// addresses lists the ready endpoints of team-a/backend's http port, sorted.
func addresses(eps *ir.Endpoints) []string {
	src := &ir.EndpointSource{Namespace: "team-a", Name: "backend", Port: 3000, PortName: "http"}
	list, _ := eps.Lookup(src)
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, fmt.Sprintf("%s:%d", e.Address, e.Port))
	}
	return out
}

// TestProviderPublishesEndpointsSeparately checks that EndpointSlices go
// into the endpoints snapshot only, and that a change of EndpointSlices alone
// (in a file of their own or in a file with other objects) publishes an
// endpoints snapshot and no Resources snapshot.
func TestProviderPublishesEndpointsSeparately(t *testing.T) {
	pt := startProvider(t, map[string]string{
		"gateway.yaml": gatewayYAML + "---\n" + serviceYAML + "---\n" + sliceYAML("mixed", "10.0.0.1"),
		"slices.yaml":  sliceYAML("alone", "10.0.1.1"),
	})
	res := pt.next()
	if len(res.Services) != 1 || len(res.EndpointSlices) != 0 {
		t.Fatalf("resources snapshot: %d services, %d endpoint slices; want 1 and 0", len(res.Services), len(res.EndpointSlices))
	}
	eps, v := pt.nextEndpoints(0)
	if _, ok := eps.Services["team-a/backend"]; len(eps.Services) != 1 || !ok || len(addresses(eps)) != 2 {
		t.Fatalf("endpoints snapshot: %+v", eps.Services)
	}

	pt.write("slices.yaml", sliceYAML("alone", "10.0.1.1", "10.0.1.2"))
	eps, v = pt.nextEndpoints(v)
	if got := addresses(eps); strings.Join(got, " ") != "10.0.0.1:3000 10.0.1.1:3000 10.0.1.2:3000" {
		t.Errorf("after editing slices.yaml: %v", got)
	}

	pt.write("gateway.yaml", gatewayYAML+"---\n"+serviceYAML+"---\n"+sliceYAML("mixed", "10.0.0.2"))
	eps, v = pt.nextEndpoints(v)
	if got := addresses(eps); strings.Join(got, " ") != "10.0.0.2:3000 10.0.1.1:3000 10.0.1.2:3000" {
		t.Errorf("after editing the slice of gateway.yaml: %v", got)
	}

	// A change of other objects publishes resources (the only snapshot since
	// the first: the changes of EndpointSlices alone published none), and
	// the endpoints stay as they are.
	pt.write("gateway.yaml", gatewayYAML+"---\n"+strings.Replace(serviceYAML, "port: 3000", "port: 3001", 1)+"---\n"+sliceYAML("mixed", "10.0.0.2"))
	if res := pt.nextOnly(); res.Services[0].Spec.Ports[0].Port != 3001 {
		t.Errorf("service change not published")
	}
	if _, ev := pt.endpoints.Load(); ev != v {
		t.Errorf("a change of a Service port republished the endpoints (version %d -> %d)", v, ev)
	}

	// Deleting the Service leaves its slices, now of a Service the files do
	// not define; deleting them too leaves nothing covered.
	pt.write("gateway.yaml", gatewayYAML)
	pt.next()
	eps, v = pt.nextEndpoints(v)
	if got := addresses(eps); len(got) != 2 {
		t.Errorf("after deleting the Service: %v", got)
	}
	pt.write("slices.yaml", "")
	eps, _ = pt.nextEndpoints(v)
	if len(eps.Services) != 0 {
		t.Errorf("after deleting every slice and Service: %+v", eps.Services)
	}
}
