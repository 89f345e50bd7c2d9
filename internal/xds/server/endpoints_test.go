package server_test

import (
	"slices"
	"strings"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// movedEndpoints are the assignments of fleetIR(prefix, "") with the
// endpoints of cluster b moved to 10.0.0.9.
func movedEndpoints(t *testing.T, prefix string) []*endpointv3.ClusterLoadAssignment {
	t.Helper()
	x := fleetIR(prefix, "")
	x.Clusters[1] = &ir.Cluster{Name: x.Clusters[1].Name, Discovery: ir.DiscoveryEDS, Endpoints: []*ir.Endpoint{{Address: "10.0.0.9", Port: 8080}}}
	res, err := translator.TranslateEndpoints(x.Clusters, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Endpoints
}

func TestUpdateEndpointsPushesOnlyEndpoints(t *testing.T) {
	ts := startServer(t)
	initial := translate(t, fleetIR("a", ""))
	update(t, ts.Server, fleetA, initial)

	c := syncedEnvoy(t, ts, initial)
	want := byType(initial)
	before := map[string]string{}
	for typeURL := range want {
		before[typeURL] = c.typ(typeURL).version
	}
	c.received = nil
	moved := movedEndpoints(t, "a")
	changed, err := ts.UpdateEndpoints(fleetA, moved)
	if err != nil || !changed {
		t.Fatalf("UpdateEndpoints: changed %v, err %v", changed, err)
	}
	want = byType(&translator.Resources{
		Listeners: initial.Listeners, Routes: initial.Routes, Clusters: initial.Clusters, Secrets: initial.Secrets, Endpoints: moved,
	})
	c.syncUntil(func() bool { return holds(c.typ2, want) })
	for typeURL := range want {
		changed := typeURL == resourcev3.EndpointType
		if got := c.typ(typeURL).version != before[typeURL]; got != changed {
			t.Errorf("%s: version changed = %v, want %v", typeName(typeURL), got, changed)
		}
	}
	if !slices.Equal(c.received, []string{resourcev3.EndpointType}) {
		t.Errorf("responses after the endpoints update: %v, want one EDS", c.received)
	}

	// The same endpoints again set no snapshot, so nothing can be pushed; a
	// full update with the same content as the endpoints update neither.
	updates := metricSum(t, ts.reg, "envoy_gateway_xds_snapshot_updates_total", map[string]string{"fleet": fleetA})
	changed, err = ts.UpdateEndpoints(fleetA, movedEndpoints(t, "a"))
	if err != nil || changed {
		t.Fatalf("UpdateEndpoints with unchanged endpoints: changed %v, err %v", changed, err)
	}
	changed, err = ts.Update(fleetA, &translator.Resources{
		Listeners: initial.Listeners, Routes: initial.Routes, Clusters: initial.Clusters, Secrets: initial.Secrets,
		Endpoints: movedEndpoints(t, "a"),
	})
	if err != nil || changed {
		t.Fatalf("Update with the served content: changed %v, err %v", changed, err)
	}
	if got := metricSum(t, ts.reg, "envoy_gateway_xds_snapshot_updates_total", map[string]string{"fleet": fleetA}); got != updates {
		t.Errorf("snapshot updates went from %v to %v without a change", updates, got)
	}
	if got := metricSum(t, ts.reg, "envoy_gateway_xds_endpoint_updates_total", map[string]string{"fleet": fleetA}); got != 1 {
		t.Errorf("endpoint updates = %v, want 1", got)
	}
}

func TestUpdateEndpointsKeepsSnapshotConsistent(t *testing.T) {
	ts := startServer(t)
	update(t, ts.Server, fleetA, translate(t, fleetIR("a", "")))
	good := movedEndpoints(t, "a")
	other := movedEndpoints(t, "b")
	tests := []struct {
		name      string
		fleet     string
		endpoints []*endpointv3.ClusterLoadAssignment
		wantErr   string
	}{
		{"unknown fleet", fleetB, good, "not served"},
		{"an assignment missing", fleetA, good[:1], "2 EDS clusters"},
		{"an assignment too many", fleetA, append(slices.Clone(good), other[0]), "2 EDS clusters"},
		{"another fleet's assignments", fleetA, other, "not that of an EDS cluster"},
		{"an assignment twice", fleetA, []*endpointv3.ClusterLoadAssignment{good[0], good[0]}, "not the only one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			changed, err := ts.UpdateEndpoints(tc.fleet, tc.endpoints)
			if changed || err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("UpdateEndpoints = %v, %v; want an error containing %q", changed, err, tc.wantErr)
			}
		})
	}
	// Nothing above changed the fleet: its original assignments are still served.
	changed, err := ts.Update(fleetA, translate(t, fleetIR("a", "")))
	if err != nil || changed {
		t.Errorf("Update with the original content: changed %v, err %v", changed, err)
	}
}
