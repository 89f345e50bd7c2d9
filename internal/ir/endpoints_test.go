package ir

import (
	"strings"
	"testing"
)

func TestEndpointsLookup(t *testing.T) {
	web := []*Endpoint{{Address: "10.0.0.1", Port: 8080}}
	udp := []*Endpoint{{Address: "10.0.0.2", Port: 53}}
	eps := &Endpoints{Services: map[string]*ServiceEndpoints{
		"apps/web": {Ports: []*PortEndpoints{
			{Name: "dns", Protocol: "UDP", Endpoints: udp},
			{Name: "http", Protocol: ProtocolTCP, Endpoints: web},
		}},
		"apps/empty": {},
		"apps/nil":   nil,
	}}
	tests := []struct {
		name      string
		eps       *Endpoints
		src       *EndpointSource
		want      []*Endpoint
		wantKnown bool
	}{
		{"port by name, protocol TCP by default", eps, &EndpointSource{Namespace: "apps", Name: "web", Port: 80, PortName: "http"}, web, true},
		{"port by name and protocol", eps, &EndpointSource{Namespace: "apps", Name: "web", Port: 53, PortName: "dns", Protocol: "UDP"}, udp, true},
		{"protocol mismatch", eps, &EndpointSource{Namespace: "apps", Name: "web", Port: 53, PortName: "dns"}, nil, true},
		{"name mismatch", eps, &EndpointSource{Namespace: "apps", Name: "web", Port: 80}, nil, true},
		{"known service without ports", eps, &EndpointSource{Namespace: "apps", Name: "empty", Port: 80}, nil, true},
		{"known service, nil entry", eps, &EndpointSource{Namespace: "apps", Name: "nil", Port: 80}, nil, true},
		{"unknown service", eps, &EndpointSource{Namespace: "other", Name: "web", Port: 80, PortName: "http"}, nil, false},
		{"nil snapshot", nil, &EndpointSource{Namespace: "apps", Name: "web", Port: 80, PortName: "http"}, nil, false},
		{"nil source", eps, nil, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, known := tc.eps.Lookup(tc.src)
			if known != tc.wantKnown || len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Errorf("Lookup = %v, %v; want %v, %v", got, known, tc.want, tc.wantKnown)
			}
		})
	}
}

func TestClusterEndpointSourceValidation(t *testing.T) {
	src := func() *EndpointSource {
		return &EndpointSource{Namespace: "apps", Name: "web", Port: 80, PortName: "http"}
	}
	tests := []struct {
		name    string
		cluster *Cluster
		wantErr string
	}{
		{"EDS with a source", &Cluster{Name: "c", Discovery: DiscoveryEDS, EndpointSource: src()}, ""},
		{"EDS with fixed endpoints", &Cluster{Name: "c", Discovery: DiscoveryEDS, Endpoints: []*Endpoint{{Address: "10.0.0.1", Port: 80}}}, ""},
		{"DNS with a source", &Cluster{Name: "c", Discovery: DiscoveryDNS, EndpointSource: src()}, "only allowed on EDS clusters"},
		{
			"source and endpoints",
			&Cluster{Name: "c", Discovery: DiscoveryEDS, EndpointSource: src(), Endpoints: []*Endpoint{{Address: "10.0.0.1", Port: 80}}},
			"mutually exclusive",
		},
		{"source without a name", &Cluster{Name: "c", Discovery: DiscoveryEDS, EndpointSource: &EndpointSource{Namespace: "apps", Port: 80}}, "namespace and name are required"},
		{"source without a namespace", &Cluster{Name: "c", Discovery: DiscoveryEDS, EndpointSource: &EndpointSource{Name: "web", Port: 80}}, "namespace and name are required"},
		{"source port 0", &Cluster{Name: "c", Discovery: DiscoveryEDS, EndpointSource: &EndpointSource{Namespace: "apps", Name: "web"}}, "out of range"},
		{"source port too large", &Cluster{Name: "c", Discovery: DiscoveryEDS, EndpointSource: &EndpointSource{Namespace: "apps", Name: "web", Port: 65536}}, "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := (&Xds{Clusters: []*Cluster{tc.cluster}}).Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
