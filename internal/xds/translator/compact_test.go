package translator

import (
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// TestCompactAssignmentEncodesAsTheAssignment checks that a compact
// assignment has the assignment's deterministic bytes and decodes to it,
// for assignments with and without endpoints or a name.
func TestCompactAssignmentEncodesAsTheAssignment(t *testing.T) {
	for _, cla := range []*endpointv3.ClusterLoadAssignment{
		ClusterLoadAssignment("service/ns/web/80", []*ir.Endpoint{{Address: "10.0.0.1", Port: 8080}, {Address: "10.0.0.2", Port: 8080, Zone: "z"}}),
		ClusterLoadAssignment("service/ns/empty/80", nil),
		ClusterLoadAssignment("", []*ir.Endpoint{{Address: "10.0.0.3", Port: 80}}),
	} {
		compact, err := compactAssignment(cla)
		if err != nil {
			t.Fatal(err)
		}
		if compact.GetClusterName() != cla.GetClusterName() || len(compact.GetEndpoints()) != 0 {
			t.Errorf("%q: the compact assignment is not compact: %v", cla.GetClusterName(), compact)
		}
		want, errW := deterministic.Marshal(cla)
		got, errG := deterministic.Marshal(compact)
		if errW != nil || errG != nil || string(got) != string(want) {
			t.Errorf("%q: compact bytes %x, want %x (%v, %v)", cla.GetClusterName(), got, want, errG, errW)
		}
		decoded := &endpointv3.ClusterLoadAssignment{}
		if err := proto.Unmarshal(got, decoded); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(cla, decoded, protocmp.Transform()); diff != "" {
			t.Errorf("%q: decoded compact assignment differs (-want +got):\n%s", cla.GetClusterName(), diff)
		}
	}
}

// TestCompactRoutesEncodeAsTheRoutes checks that compact routes have the
// routes' deterministic bytes, alone and inside a virtual host, and decode
// to them.
func TestCompactRoutesEncodeAsTheRoutes(t *testing.T) {
	r := &ir.HTTPRoute{
		Name: "httproute/ns/r/rule/0/match/0", Hostname: "a.example.com",
		PathMatch:      &ir.StringMatch{Type: ir.MatchPrefix, Value: "/api"},
		HeaderMatches:  []*ir.StringMatch{{Name: "x-tenant", Type: ir.MatchExact, Value: "t1"}},
		RequestHeaders: &ir.HeaderModifier{Add: []ir.Header{{Name: "x-a", Value: "1"}}},
		Destination: &ir.Destination{Backends: []*ir.WeightedCluster{
			{Cluster: "service/ns/a/80", Weight: 1}, {Cluster: "service/ns/b/80", Weight: 3},
		}, InvalidWeight: 1},
	}
	routes, err := CheckedRoutes(r)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := compactRoutes(routes)
	if err != nil {
		t.Fatal(err)
	}
	if len(compact) != len(routes) || len(routes) < 2 {
		t.Fatalf("%d compact routes for %d routes", len(compact), len(routes))
	}
	for i := range routes {
		want, _ := deterministic.Marshal(routes[i])
		got, err := deterministic.Marshal(compact[i])
		if err != nil || string(got) != string(want) || compact[i].GetMatch() != nil {
			t.Errorf("route %d: compact bytes %x, want %x (%v)", i, got, want, err)
		}
		decoded := &routev3.Route{}
		if err := proto.Unmarshal(got, decoded); err != nil || !proto.Equal(decoded, routes[i]) {
			t.Errorf("route %d does not decode to the route (%v)", i, err)
		}
	}
	want, _ := deterministic.Marshal(VirtualHost("a.example.com", routes))
	got, _ := deterministic.Marshal(VirtualHost("a.example.com", compact))
	if string(got) != string(want) {
		t.Error("a virtual host of compact routes encodes differently")
	}
}
