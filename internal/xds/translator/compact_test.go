package translator

import (
	"slices"
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
		compact := &endpointv3.ClusterLoadAssignment{}
		if err := compactAssignment(compact, cla); err != nil {
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

// TestCompactVirtualHostEncodesAsTheVirtualHost checks that a compact
// virtual host has the bytes of the virtual host of the same routes and
// decodes to it, that its parts are its own bytes, and that it is reused
// when it has the same routes.
func TestCompactVirtualHostEncodesAsTheVirtualHost(t *testing.T) {
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
	if err != nil || len(routes) < 2 {
		t.Fatalf("%d routes (%v)", len(routes), err)
	}
	wire, err := cachedRoutes(r)
	if err != nil {
		t.Fatal(err)
	}
	wires := [][]byte{wire, misdirectedWire}
	vh, parts, err := checkedCompactVirtualHost("a.example.com", wires, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	full := VirtualHost("a.example.com", append(slices.Clone(routes), misdirectedRoute))
	want, _ := deterministic.Marshal(full)
	got, err := deterministic.Marshal(vh)
	if err != nil || string(got) != string(want) || len(vh.GetRoutes()) != 0 || len(vh.GetDomains()) != 0 {
		t.Fatalf("compact bytes %x, want %x (%v)", got, want, err)
	}
	decoded := &routev3.VirtualHost{}
	if err := proto.Unmarshal(got, decoded); err != nil || !proto.Equal(decoded, full) {
		t.Errorf("the compact virtual host does not decode to the virtual host (%v)", err)
	}
	unknown := vh.ProtoReflect().GetUnknown()
	for i, p := range parts {
		if string(p) != string(wires[i]) || &p[0] == &wires[i][0] || !inside(p, unknown) {
			t.Errorf("part %d is not a copy of its routes within the virtual host's bytes", i)
		}
	}

	again, partsAgain, err := checkedCompactVirtualHost("a.example.com", [][]byte{slices.Clone(wire), misdirectedWire}, nil, []*routev3.VirtualHost{vh})
	if err != nil || again != vh || &partsAgain[0][0] != &parts[0][0] {
		t.Errorf("the same routes built another virtual host (%v)", err)
	}
	other, _, err := checkedCompactVirtualHost("a.example.com", [][]byte{wire}, vh, []*routev3.VirtualHost{vh})
	if err != nil || other == vh {
		t.Errorf("other routes kept the virtual host (%v)", err)
	}
	if _, _, err := checkedCompactVirtualHost("", wires, nil, nil); err == nil {
		t.Error("a virtual host without a name was built")
	}
}

// inside reports whether p is a slice of buf.
func inside(p, buf []byte) bool {
	for i := range buf {
		if &buf[i] == &p[0] {
			return len(buf)-i >= len(p)
		}
	}
	return false
}
