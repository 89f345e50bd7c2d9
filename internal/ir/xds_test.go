package ir

import (
	"strings"
	"testing"
)

func TestValidateTCPListeners(t *testing.T) {
	cluster := &Cluster{Name: "service/default/backend/3000", Discovery: DiscoveryEDS}
	route := func(backend string) *L4Route {
		return &L4Route{Name: "tcproute/default/r", Destination: &Destination{Backends: []*WeightedCluster{{Cluster: backend, Weight: 1}}}}
	}
	tests := []struct {
		name string
		x    *Xds
		want string // a substring of the error; "" means valid
	}{
		{"valid", &Xds{Clusters: []*Cluster{cluster}, TCP: []*TCPListener{
			{Name: "default/eg/tcp", Address: "0.0.0.0", Port: 9000, Route: route(cluster.Name)},
		}}, ""},
		{"no route", &Xds{TCP: []*TCPListener{{Name: "default/eg/tcp", Address: "0.0.0.0", Port: 9000}}}, ""},
		{"unknown cluster", &Xds{TCP: []*TCPListener{
			{Name: "default/eg/tcp", Address: "0.0.0.0", Port: 9000, Route: route("missing")},
		}}, `tcp[0]: route: "tcproute/default/r": destination: backends[0]: unknown cluster "missing"`},
		{"port 0", &Xds{TCP: []*TCPListener{{Name: "default/eg/tcp", Address: "0.0.0.0"}}}, "tcp[0]: port 0 is out of range"},
		{"name of a TLS listener", &Xds{
			TLS: []*TLSListener{{Name: "default/eg/l", Address: "0.0.0.0", Port: 9000}},
			TCP: []*TCPListener{{Name: "default/eg/l", Address: "0.0.0.0", Port: 9001}},
		}, `tcp[0]: duplicate listener name "default/eg/l"`},
		{"route without destination", &Xds{TCP: []*TCPListener{
			{Name: "default/eg/tcp", Address: "0.0.0.0", Port: 9000, Route: &L4Route{Name: "tcproute/default/r"}},
		}}, "destination is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.x.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("want valid, got %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("want an error containing %q, got %v", tt.want, err)
			}
		})
	}
}
