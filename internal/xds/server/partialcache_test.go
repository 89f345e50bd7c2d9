package server_test

import (
	"fmt"
	"slices"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// edsClusters is a fleet of n EDS clusters, cluster i's endpoint at
// 10.0.<serial[i]>.<i>; enough of them that changing one is a patch of the
// served assignments (the server's fast path).
func edsClusters(n int, serial map[int]int) []*ir.Cluster {
	out := make([]*ir.Cluster, n)
	for i := range out {
		out[i] = &ir.Cluster{
			Name: fmt.Sprintf("service/ns/svc-%d/80", i), Discovery: ir.DiscoveryEDS,
			Endpoints: []*ir.Endpoint{{Address: fmt.Sprintf("10.0.%d.%d", serial[i], i), Port: 8080}},
		}
	}
	return out
}

func edsAssignments(t *testing.T, clusters []*ir.Cluster) []*endpointv3.ClusterLoadAssignment {
	t.Helper()
	res, err := translator.TranslateEndpoints(clusters, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Endpoints
}

func responseNames(r *discoveryv3.DiscoveryResponse) []string {
	var out []string
	for _, a := range r.GetResources() {
		cla := &endpointv3.ClusterLoadAssignment{}
		if err := a.UnmarshalTo(cla); err == nil {
			out = append(out, cla.GetClusterName())
		}
	}
	return out
}

// TestEndpointChangeSendsOnlyChangedAssignments checks that an endpoint
// change reaches a state-of-the-world stream as a response holding the
// changed assignment only (EDS is not a full-state type), that a stream
// which did not ACK in between gets every assignment it missed, and that a
// delta stream gets the changed assignment only.
func TestEndpointChangeSendsOnlyChangedAssignments(t *testing.T) {
	const n = 12
	ts := startServer(t)
	serial := map[int]int{}
	initial, err := translator.Translate(&ir.Xds{Clusters: edsClusters(n, serial)})
	if err != nil {
		t.Fatal(err)
	}
	update(t, ts.Server, fleetA, initial)

	sotw := newSotwClient(t, dial(t, ts.addr, ts.clientTLS(t)), node("proxy-1", fleetA, "envoy"), true)
	sotw.subscribe(resourcev3.ClusterType, nil)
	sotw.subscribe(resourcev3.ListenerType, nil)
	delta := newDeltaClient(t, dial(t, ts.addr, ts.clientTLS(t)), node("proxy-2", fleetA, "envoy"))
	delta.wildcard(resourcev3.ClusterType)
	want := byType(initial)
	sotw.syncUntil(func() bool { return holds(sotw.typ2, want) })
	delta.syncUntil(func() bool { return len(delta.names(resourcev3.ClusterType)) == n })
	delta.setSubscription(resourcev3.EndpointType, edsRefs(delta.held(resourcev3.ClusterType)))
	delta.syncUntil(func() bool { return holds(delta.held, want) })

	change := func(i int) []*endpointv3.ClusterLoadAssignment {
		t.Helper()
		serial[i]++
		moved := edsAssignments(t, edsClusters(n, serial))
		if changed, err := ts.UpdateEndpoints(fleetA, moved); err != nil || !changed {
			t.Fatalf("UpdateEndpoints: changed %v, err %v", changed, err)
		}
		return moved
	}
	name := func(i int) string { return fmt.Sprintf("service/ns/svc-%d/80", i) }

	// One change: one assignment in each response.
	moved := change(3)
	r := sotw.recv()
	if got := responseNames(r); r.GetTypeUrl() != resourcev3.EndpointType || !slices.Equal(got, []string{name(3)}) {
		t.Fatalf("state-of-the-world response: %s with %v, want EDS with %s only", typeName(r.GetTypeUrl()), got, name(3))
	}
	sotw.handle(r)
	d := delta.recv()
	if d.GetTypeUrl() != resourcev3.EndpointType || len(d.GetResources()) != 1 || d.GetResources()[0].GetName() != name(3) {
		t.Fatalf("delta response: %s with %d resources, want EDS with %s only", typeName(d.GetTypeUrl()), len(d.GetResources()), name(3))
	}
	delta.handle(d)
	want[resourcev3.EndpointType] = byType(&translator.Resources{Endpoints: moved})[resourcev3.EndpointType]
	if !holds(sotw.typ2, want) || !holds(delta.held, want) {
		t.Fatal("after the change, a client does not hold every assignment with the change")
	}

	// Two changes while the state-of-the-world stream holds a response it
	// has not ACKed: the response after its ACK has what it missed.
	change(5)
	r = sotw.recv() // svc-5, not ACKed yet
	moved = change(7)
	sotw.handle(r)
	r = sotw.recv()
	if got := responseNames(r); !slices.Equal(got, []string{name(7)}) {
		t.Fatalf("response after the ACK: %v, want %s only", got, name(7))
	}
	sotw.handle(r)
	want[resourcev3.EndpointType] = byType(&translator.Resources{Endpoints: moved})[resourcev3.EndpointType]
	if !holds(sotw.typ2, want) {
		t.Fatal("the state-of-the-world client does not hold every assignment with both changes")
	}
	delta.syncUntil(func() bool { return holds(delta.held, want) })
}

// TestRouteChangeSendsOnlyChangedRouteConfigurations checks that a route
// change reaches a state-of-the-world stream as a response holding the
// route configurations that changed, not every one, and that the stream
// then holds the whole new configuration.
func TestRouteChangeSendsOnlyChangedRouteConfigurations(t *testing.T) {
	ts := startServer(t)
	initial := translate(t, fleetIR("a", ""))
	update(t, ts.Server, fleetA, initial)
	c := syncedEnvoy(t, ts, initial)

	updated := translate(t, fleetIR("a", "update"))
	var changed []string
	for i, rc := range updated.Routes {
		if !proto.Equal(rc, initial.Routes[i]) {
			changed = append(changed, rc.GetName())
		}
	}
	if len(changed) == 0 || len(changed) == len(updated.Routes) {
		t.Fatalf("the update changes %d of %d route configurations; the test needs some, not all", len(changed), len(updated.Routes))
	}
	update(t, ts.Server, fleetA, updated)
	for {
		r := c.recv()
		if r.GetTypeUrl() == resourcev3.RouteType {
			got := make([]string, 0, len(r.GetResources()))
			for _, a := range r.GetResources() {
				rc := &routev3.RouteConfiguration{}
				if err := a.UnmarshalTo(rc); err != nil {
					t.Fatal(err)
				}
				got = append(got, rc.GetName())
			}
			if !slices.Equal(got, changed) {
				t.Fatalf("RDS response holds %v, want the changed route configurations %v only", got, changed)
			}
			c.handle(r)
			break
		}
		c.handle(r)
	}
	c.syncUntil(func() bool { return holds(c.typ2, byType(updated)) })
}
