package server

import (
	"testing"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

func translated(t *testing.T, port uint32, endpoint string) *translator.Resources {
	t.Helper()
	res, err := translator.Translate(&ir.Xds{
		HTTP: []*ir.HTTPListener{{
			Name: "ns/eg/http", Address: "0.0.0.0", Port: port, Hostnames: []string{"*"},
			Routes: []*ir.HTTPRoute{{
				Name: "r", Hostname: "*",
				Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/ns/a/80", Weight: 1}}},
			}},
		}},
		Clusters: []*ir.Cluster{{Name: "service/ns/a/80", Discovery: ir.DiscoveryEDS, Endpoints: []*ir.Endpoint{{Address: endpoint, Port: 80}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestContentVersions(t *testing.T) {
	a, err := newContent(translated(t, 8080, "10.0.0.1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := newContent(translated(t, 8080, "10.0.0.1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !a.sameVersions(again) {
		t.Errorf("the same translation got versions %v then %v", a.versions, again.versions)
	}
	moved, err := newContent(translated(t, 8080, "10.0.0.2"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range servedTypes {
		changed := typ == resourcev3.EndpointType
		if got := a.versions[typ] != moved.versions[typ]; got != changed {
			t.Errorf("%s: version changed = %v, want %v", typ, got, changed)
		}
	}
	if a.sameVersions(moved) {
		t.Error("new endpoints did not change the content")
	}
	snap := a.snapshot()
	if got := len(snap.GetResources(resourcev3.ListenerType)); got != 1 {
		t.Errorf("snapshot has %d listeners, want 1", got)
	}
	if got, want := snap.GetVersion(resourcev3.ClusterType), a.versions[resourcev3.ClusterType]; got != want {
		t.Errorf("snapshot cluster version %q, want %q", got, want)
	}
}

// TestCacheSnapshotHoldsListenersAndClusters checks that the snapshot the
// snapshot caches get holds the types they serve and none of the partial
// cache's (whose groups, 20,000 assignments at 10,000 routes, the content
// would otherwise keep), while the snapshot checked for consistency holds
// every type.
func TestCacheSnapshotHoldsListenersAndClusters(t *testing.T) {
	c, err := newContent(fleetOf(t, 3, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	cached, full := c.cacheSnapshot(), c.snapshot()
	for _, typ := range servedTypes {
		n := len(c.entries[typ])
		if n == 0 && typ != resourcev3.SecretType {
			t.Fatalf("the fleet has no %s", typ)
		}
		wantCached := n
		if isPartialType(typ) {
			wantCached = 0
		}
		if got := len(cached.GetResources(typ)); got != wantCached {
			t.Errorf("cache snapshot: %d %s, want %d", got, typ, wantCached)
		}
		if got := len(full.GetResources(typ)); got != n {
			t.Errorf("full snapshot: %d %s, want %d", got, typ, n)
		}
	}
}
