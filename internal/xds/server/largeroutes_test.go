package server_test

import (
	"fmt"
	"testing"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// TestLargeRouteConfigurationReachesBothProtocols: a RouteConfiguration of
// over 200 kB (sent without being copied into the response, see
// codec.go) reaches a SotW and a delta client as translated, and so does
// its next version.
func TestLargeRouteConfigurationReachesBothProtocols(t *testing.T) {
	ts := startServer(t)
	large := func(path string) *ir.Xds {
		x := fleetIR("a", "")
		l := x.HTTP[0]
		for i := range 2000 {
			l.Routes = append(l.Routes, &ir.HTTPRoute{
				Name: fmt.Sprintf("httproute/a/r%d/rule/0/match/0", i), Hostname: fmt.Sprintf("host-%d.example.com", i),
				PathMatch:   &ir.StringMatch{Type: ir.MatchPrefix, Value: path},
				Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/a/a/80", Weight: 1}}},
			})
		}
		return x
	}
	res := translate(t, large("/v1"))
	var rc proto.Message
	for _, r := range res.Routes {
		if r.GetName() == "route/0.0.0.0/10080" {
			rc = r
		}
	}
	if size := proto.Size(rc); size < 3*(64<<10) {
		t.Fatalf("the route configuration has %d bytes, want a large one", size)
	}
	update(t, ts.Server, fleetA, res)
	sotw := syncedEnvoy(t, ts, res)
	delta := newDeltaClient(t, dial(t, ts.addr, ts.clientTLS(t)), node("proxy-2", fleetA, "envoy"))
	delta.wildcard(resourcev3.ClusterType)
	delta.wildcard(resourcev3.ListenerType)
	delta.syncUntil(func() bool { return holds(delta.held, byType(res)) })

	next := translate(t, large("/v2"))
	update(t, ts.Server, fleetA, next)
	sotw.syncUntil(func() bool { return holds(sotw.typ2, byType(next)) })
	delta.syncUntil(func() bool { return holds(delta.held, byType(next)) })
}
