package translator

import (
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
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
