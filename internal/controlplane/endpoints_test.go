package controlplane

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

// backendSlice is an EndpointSlice of the Service of fileResources (its port
// has no name).
func backendSlice(addresses ...string) string {
	return fmt.Sprintf(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: backend-1
  labels: {kubernetes.io/service-name: backend}
addressType: IPv4
ports: [{port: 3000}]
endpoints: [{addresses: [%s]}]
`, strings.Join(addresses, ", "))
}

// servedAddresses returns the endpoint addresses of the backend's cluster.
func (f *fileControlPlane) servedAddresses() []string {
	cla, ok := f.envoy.Resources(resourcev3.EndpointType)["service/default/backend/3000"].(*endpointv3.ClusterLoadAssignment)
	if !ok {
		return nil
	}
	var out []string
	for _, l := range cla.GetEndpoints() {
		for _, e := range l.GetLbEndpoints() {
			out = append(out, e.GetEndpoint().GetAddress().GetSocketAddress().GetAddress())
		}
	}
	slices.Sort(out)
	return out
}

// metricValue is the value of a counter, or the sample count of a
// histogram, of the control plane's registry, summed over labels.
func (f *fileControlPlane) metricValue(name string) float64 {
	f.t.Helper()
	families, err := f.reg.Gather()
	if err != nil {
		f.t.Fatal(err)
	}
	sum := 0.0
	for _, fam := range families {
		if fam.GetName() != name {
			continue
		}
		for _, m := range fam.GetMetric() {
			sum += m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// TestFileProviderEndpointsBypassTranslation changes only an EndpointSlice
// file: the proxy gets the new endpoints, nothing else changes, and neither
// the resource translator nor the xDS translation of routes runs.
func TestFileProviderEndpointsBypassTranslation(t *testing.T) {
	f := startFileControlPlane(t)
	f.writeFile("endpoints.yaml", backendSlice("10.0.0.1"))
	f.waitFor("the first endpoints", func() bool {
		return slices.Equal(f.servedAddresses(), []string{"10.0.0.1"}) && f.envoy.Version(resourcev3.RouteType) != ""
	})
	versions := func() map[string]string {
		out := map[string]string{}
		for _, typ := range xdstest.Types {
			out[typ] = f.envoy.Version(typ)
		}
		return out
	}
	before := versions()
	const (
		translations    = "envoy_gateway_translate_duration_seconds"
		xdsTranslations = "envoy_gateway_xds_translation_duration_seconds"
		endpointUpdates = "envoy_gateway_xds_endpoint_updates_total"
	)
	translated, xdsTranslated, epsUpdates := f.metricValue(translations), f.metricValue(xdsTranslations), f.metricValue(endpointUpdates)

	f.writeFile("endpoints.yaml", backendSlice("10.0.0.1", "10.0.0.2"))
	f.waitFor("the new endpoints", func() bool { return slices.Equal(f.servedAddresses(), []string{"10.0.0.1", "10.0.0.2"}) })
	after := versions()
	for _, typ := range xdstest.Types {
		if changed := after[typ] != before[typ]; changed != (typ == resourcev3.EndpointType) {
			t.Errorf("%s: version changed = %v (%s -> %s)", typ, changed, before[typ], after[typ])
		}
	}
	if got := f.metricValue(translations); got != translated {
		t.Errorf("resource translations went from %v to %v on an endpoints change", translated, got)
	}
	if got := f.metricValue(xdsTranslations); got != xdsTranslated {
		t.Errorf("xDS translations went from %v to %v on an endpoints change", xdsTranslated, got)
	}
	if got := f.metricValue(endpointUpdates); got != epsUpdates+1 {
		t.Errorf("endpoint updates went from %v to %v, want one more", epsUpdates, got)
	}

	var listed bool
	for _, r := range f.status().Resources {
		listed = listed || (r.Kind == "EndpointSlice" && r.Name == "backend-1" && r.Source != nil)
	}
	if !listed {
		t.Error("/api/status does not list the EndpointSlice with its source")
	}
}
