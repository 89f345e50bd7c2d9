package gatewayapi

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

func TestCheckExternalName(t *testing.T) {
	cases := []struct {
		name    string
		svcType corev1.ServiceType
		ext     string
		wantErr string
	}{
		{name: "not ExternalName", svcType: corev1.ServiceTypeClusterIP, ext: "Not A Name"},
		{name: "empty", svcType: corev1.ServiceTypeExternalName},
		{name: "hostname", svcType: corev1.ServiceTypeExternalName, ext: "httpbin.org"},
		{name: "trailing dot", svcType: corev1.ServiceTypeExternalName, ext: "httpbin.org."},
		{name: "IPv4", svcType: corev1.ServiceTypeExternalName, ext: "192.0.2.1"},
		{name: "upper case", svcType: corev1.ServiceTypeExternalName, ext: "HTTPBIN.org", wantErr: `externalName "HTTPBIN.org" is not a valid hostname`},
		{name: "underscore", svcType: corev1.ServiceTypeExternalName, ext: "a_b.org", wantErr: `externalName "a_b.org" is not a valid hostname`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := &corev1.Service{Spec: corev1.ServiceSpec{Type: tc.svcType, ExternalName: tc.ext}}
			err := checkExternalName(svc)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("checkExternalName = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)):
				t.Errorf("checkExternalName = %v, want an error starting with %q", err, tc.wantErr)
			}
		})
	}
}

func TestServicePortAndCluster(t *testing.T) {
	svc := &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
		{Name: "http", Port: 80},
		{Name: "grpc", Port: 9000, Protocol: corev1.ProtocolTCP, AppProtocol: new(appProtocolH2C)},
	}}}
	svc.Namespace, svc.Name = "apps", "web"
	if sp := servicePort(svc, 9000); sp == nil || sp.Name != "grpc" {
		t.Errorf("servicePort(9000) = %+v, want the grpc port", sp)
	}
	if sp := servicePort(svc, 81); sp != nil {
		t.Errorf("servicePort(81) = %+v, want nil", sp)
	}
	if got, want := clusterName("apps", "web", 80), "service/apps/web/80"; got != want {
		t.Errorf("clusterName = %q, want %q", got, want)
	}

	tr := &translator{clusters: map[string]*ir.Cluster{}}
	name := tr.cluster(svc, servicePort(svc, 9000), 9000, false)
	want := &ir.Cluster{
		Name: "service/apps/web/9000", Discovery: ir.DiscoveryEDS, Protocol: ir.AppProtocolHTTP2,
		EndpointSource: &ir.EndpointSource{Namespace: "apps", Name: "web", Port: 9000, PortName: "grpc", Protocol: ir.ProtocolTCP},
	}
	if diff := cmp.Diff(want, tr.clusters[name]); diff != "" {
		t.Errorf("cluster of the h2c port (-want +got):\n%s", diff)
	}
	built := tr.clusters[name]
	if tr.cluster(svc, servicePort(svc, 9000), 9000, false); tr.clusters[name] != built {
		t.Errorf("a second reference built the cluster again")
	}
}

func TestExternalNameCluster(t *testing.T) {
	svc := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "httpbin.org"}}
	svc.Namespace, svc.Name = "apps", "ext"
	tr := &translator{clusters: map[string]*ir.Cluster{}}
	name := tr.cluster(svc, nil, 443, false)
	want := &ir.Cluster{
		Name: "service/apps/ext/443", Discovery: ir.DiscoveryDNS,
		Endpoints: []*ir.Endpoint{{Address: "httpbin.org", Port: 443}},
	}
	if diff := cmp.Diff(want, tr.clusters[name]); diff != "" {
		t.Errorf("ExternalName cluster (-want +got):\n%s", diff)
	}
}

func TestProtocolOf(t *testing.T) {
	for in, want := range map[corev1.Protocol]ir.Protocol{"": ir.ProtocolTCP, corev1.ProtocolTCP: ir.ProtocolTCP, corev1.ProtocolUDP: "UDP"} {
		if got := protocolOf(in); got != want {
			t.Errorf("protocolOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBackendWeight(t *testing.T) {
	cases := []struct {
		in     *int32
		want   uint32
		wantOK bool
	}{
		{nil, 1, true},
		{ptr.To[int32](0), 0, true},
		{ptr.To[int32](7), 7, true},
		{ptr.To[int32](-1), 0, false},
	}
	for _, tc := range cases {
		got, ok := backendWeight(tc.in)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("backendWeight(%v) = %d, %t; want %d, %t", tc.in, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestDestination(t *testing.T) {
	bad := errorf(gwapiv1.RouteReasonBackendNotFound, "missing")
	cases := []struct {
		name     string
		backends []weightedBackend
		want     *ir.Destination
	}{
		{name: "none"},
		{name: "zero weights only", backends: []weightedBackend{{cluster: "a"}, {cluster: "b"}}},
		{name: "invalid only", backends: []weightedBackend{{weight: 3, err: bad}}},
		{
			name:     "valid and invalid",
			backends: []weightedBackend{{cluster: "a", weight: 2}, {weight: 3, err: bad}, {cluster: "c"}, {cluster: "b", weight: 1}},
			want: &ir.Destination{
				Backends:      []*ir.WeightedCluster{{Cluster: "a", Weight: 2}, {Cluster: "b", Weight: 1}},
				InvalidWeight: 3,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, destination(tc.backends)); diff != "" {
				t.Errorf("destination (-want +got):\n%s", diff)
			}
		})
	}
}
