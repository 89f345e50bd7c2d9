package gatewayapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/golden"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// TestTranslateEndpointsGolden turns the EndpointSlices of every
// testdata/endpoints/*.in.yaml into an endpoints snapshot covering the
// file's Services and compares TranslateEndpoints with the matching
// *.out.yaml. Run with -update to rewrite the outputs.
func TestTranslateEndpointsGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "endpoints", "*"+goldenInputSuffix))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no golden cases in testdata/endpoints")
	}
	for _, in := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(in), goldenInputSuffix), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res, _ := loadGoldenInput(t, data)
			var services []ObjectKey
			for _, s := range res.Services {
				services = append(services, ObjectKey{Namespace: s.Namespace, Name: s.Name})
			}
			got, err := yaml.Marshal(TranslateEndpoints(NewEndpoints(services, res.EndpointSlices)))
			if err != nil {
				t.Fatal(err)
			}
			golden.Compare(t, strings.TrimSuffix(in, goldenInputSuffix)+".out.yaml", got)
		})
	}
}

func slice(ns, service, name string, addresses ...string) *discoveryv1.EndpointSlice {
	port, portName := int32(8080), "http"
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &port}},
	}
	for _, a := range addresses {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}})
	}
	return es
}

func TestNewEndpoints(t *testing.T) {
	unlabeled := slice("apps", "web", "unlabeled", "10.0.0.9")
	unlabeled.Labels = nil
	webB, webA := slice("apps", "web", "web-b", "10.0.0.2"), slice("apps", "web", "web-a", "10.0.0.1")
	api := slice("b-apps", "api", "api-1", "10.0.1.1")
	input := []*discoveryv1.EndpointSlice{webB, nil, unlabeled, api, webA}
	covered := []ObjectKey{{Namespace: "apps", Name: "idle"}, {Namespace: "apps", Name: "web"}}

	got := NewEndpoints(covered, input)
	want := &Endpoints{Services: []ServiceEndpointSlices{
		{ObjectKey: ObjectKey{Namespace: "apps", Name: "idle"}},
		{ObjectKey: ObjectKey{Namespace: "apps", Name: "web"}, EndpointSlices: []*discoveryv1.EndpointSlice{webB, webA}},
		{ObjectKey: ObjectKey{Namespace: "b-apps", Name: "api"}, EndpointSlices: []*discoveryv1.EndpointSlice{api}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewEndpoints (-want +got):\n%s", diff)
	}
	if input[0] != webB || input[4] != webA {
		t.Error("NewEndpoints reordered its input")
	}
}

func TestTranslateEndpoints(t *testing.T) {
	webB, webA := slice("apps", "web", "web-b", "10.0.0.3", "10.0.0.1"), slice("apps", "web", "web-a", "10.0.0.2", "10.0.0.1")
	webA.Endpoints[1].Zone = new("zone-a")
	in := &Endpoints{Services: []ServiceEndpointSlices{
		{ObjectKey: ObjectKey{Namespace: "apps", Name: "idle"}},
		{ObjectKey: ObjectKey{Namespace: "apps", Name: "web"}, EndpointSlices: []*discoveryv1.EndpointSlice{webB, webA}},
		{ObjectKey: ObjectKey{Namespace: "apps", Name: "web"}}, // a duplicate: the first entry wins
	}}
	got := TranslateEndpoints(in)
	want := &ir.Endpoints{Services: map[string]*ir.ServiceEndpoints{
		"apps/idle": {Ports: []*ir.PortEndpoints{}},
		"apps/web": {Ports: []*ir.PortEndpoints{{Name: "http", Protocol: ir.ProtocolTCP, Endpoints: []*ir.Endpoint{
			{Address: "10.0.0.1", Port: 8080, Zone: "zone-a"},
			{Address: "10.0.0.2", Port: 8080},
			{Address: "10.0.0.3", Port: 8080},
		}}}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TranslateEndpoints (-want +got):\n%s", diff)
	}
	if in.Services[1].EndpointSlices[0] != webB {
		t.Error("TranslateEndpoints reordered its input")
	}
	if got := TranslateEndpoints(nil); got == nil || len(got.Services) != 0 {
		t.Errorf("TranslateEndpoints(nil) = %+v, want an empty snapshot", got)
	}
}
