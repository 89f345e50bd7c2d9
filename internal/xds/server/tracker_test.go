package server_test

import (
	"slices"
	"testing"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/genproto/googleapis/rpc/status"

	"github.com/envoygw/envoy-gateway/internal/xds/server"
)

// waitFleet polls FleetStatus of fleetA until ok holds, or fails after waitTimeout.
func waitFleet(t *testing.T, s *server.Server, what string, ok func(server.FleetStatus) bool) server.FleetStatus {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		st := s.FleetStatus(fleetA)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; fleet status %+v", what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fleetState(want server.ProxyState) func(server.FleetStatus) bool {
	return func(st server.FleetStatus) bool {
		got, _, connected := st.State()
		return connected && got == want
	}
}

// nackRoutes handles responses, ACKing all but the RouteConfiguration
// response of version not, which it NACKs with detail.
func nackRoutes(c *sotwClient, detail string, until func() bool) {
	c.t.Helper()
	for !until() {
		r := c.recv()
		if r.GetTypeUrl() != resourcev3.RouteType {
			c.handle(r)
			continue
		}
		c.typ(r.GetTypeUrl()).nonce = r.GetNonce() // keep the version held
		c.send(r.GetTypeUrl(), &status.Status{Code: 13, Message: detail})
		return
	}
}

func TestFleetStatusFollowsACKsAndNACKs(t *testing.T) {
	ts := startServer(t)
	if st := ts.FleetStatus(fleetA); st.Served || len(st.Proxies) != 0 {
		t.Fatalf("status of a fleet never set = %+v", st)
	}
	good := translate(t, fleetIR("a", ""))
	update(t, ts.Server, fleetA, good)
	if _, _, connected := ts.FleetStatus(fleetA).State(); connected {
		t.Fatal("a fleet without proxies reports connected proxies")
	}
	if got := ts.propagated.Load(); got != 0 {
		t.Errorf("OnPropagated called %d times without a proxy", got)
	}

	c := syncedEnvoy(t, ts, good)
	want := byType(good)
	st := waitFleet(t, ts.Server, "the proxy to hold the configuration", fleetState(server.ProxyApplied))
	p := st.Proxies[0]
	if p.Node != "proxy-1" || p.Protocol != "sotw" || !p.Synced || p.Types[resourcev3.RouteType].Acked != st.Versions[resourcev3.RouteType] {
		t.Errorf("proxy status = %+v, versions %v", p, st.Versions)
	}

	// A route change the proxy rejects: Rejected, with the error, the
	// RouteConfiguration and the route its path names.
	update(t, ts.Server, fleetA, translate(t, fleetIR("a", "update")))
	detail := "route/0.0.0.0/10080: virtual_hosts[0].routes[0].match.prefix: not implemented"
	nackRoutes(c, detail, func() bool { return false })
	st = waitFleet(t, ts.Server, "the NACK", fleetState(server.ProxyRejected))
	c.expectSilence(500 * time.Millisecond) // the rejected version is not sent again
	_, rej, _ := st.State()
	if !st.Proxies[0].Synced {
		t.Error("a proxy that held the whole configuration on its stream is no longer synced after a NACK")
	}
	if rej.Node != "proxy-1" || rej.TypeURL != resourcev3.RouteType || rej.ErrorDetail != detail ||
		rej.Nacked != st.Versions[resourcev3.RouteType] ||
		!slices.Equal(rej.Rejected, []string{"route/0.0.0.0/10080"}) ||
		!slices.Equal(rej.RejectedRoutes, []string{"httproute/a/a/rule/0/match/0"}) {
		t.Errorf("rejection = %+v, route version served %s", rej, st.Versions[resourcev3.RouteType])
	}

	// Fixed: the proxy takes the next version.
	update(t, ts.Server, fleetA, good)
	c.syncUntil(func() bool { return holds(c.typ2, want) })
	waitFleet(t, ts.Server, "the fixed configuration", fleetState(server.ProxyApplied))

	// A second proxy that has not ACKed yet keeps the fleet pending.
	lagging := newSotwClient(t, dial(t, ts.addr, ts.clientTLS(t)), node("proxy-2", fleetA, "envoy"), true)
	lagging.subscribe(resourcev3.ClusterType, nil)
	lagging.subscribe(resourcev3.ListenerType, nil)
	st = waitFleet(t, ts.Server, "the second proxy", func(st server.FleetStatus) bool { return len(st.Proxies) == 2 })
	if got, _, _ := st.State(); got != server.ProxyPending || st.Proxies[1].State != server.ProxyPending || st.Proxies[1].Synced {
		t.Errorf("fleet with a proxy that has ACKed nothing: state %s, proxies %+v", got, st.Proxies)
	}
	lagging.syncUntil(func() bool { return holds(lagging.typ2, want) })
	st = waitFleet(t, ts.Server, "both proxies", fleetState(server.ProxyApplied))
	if !st.Proxies[1].Synced {
		t.Errorf("the second proxy holds the configuration but is not synced: %+v", st.Proxies[1])
	}

	n := histogramCount(t, ts.reg, "envoy_gateway_xds_propagation_duration_seconds")
	if n < 2 {
		t.Errorf("propagation latency observed %d times, want at least 2 (first configuration, fix)", n)
	}
	if got := ts.propagated.Load(); got != int64(n) {
		t.Errorf("OnPropagated called %d times, want %d (each observed propagation)", got, n)
	}
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

// TestFleetStatusAfterEndpointsUpdate: an endpoint-only update does not make
// a proxy holding the previous endpoints pending, and a proxy that ACKs the
// new ones stays applied.
func TestFleetStatusAfterEndpointsUpdate(t *testing.T) {
	ts := startServer(t)
	initial := translate(t, fleetIR("a", ""))
	update(t, ts.Server, fleetA, initial)
	c := syncedEnvoy(t, ts, initial)
	waitFleet(t, ts.Server, "the proxy to hold the configuration", fleetState(server.ProxyApplied))
	if _, err := ts.UpdateEndpoints(fleetA, movedEndpoints(t, "a")); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := ts.FleetStatus(fleetA).State(); got != server.ProxyApplied {
		t.Errorf("after an endpoint-only update, before the proxy ACKs: state %s, want Applied", got)
	}
	c.handle(c.recv())
	waitFleet(t, ts.Server, "the new endpoints", func(st server.FleetStatus) bool {
		return st.Proxies[0].Types[resourcev3.EndpointType].Acked == st.Versions[resourcev3.EndpointType] &&
			st.Proxies[0].State == server.ProxyApplied
	})
	if err := ts.Remove(fleetA); err != nil {
		t.Fatal(err)
	}
	if st := ts.FleetStatus(fleetA); st.Served {
		t.Errorf("a removed fleet is reported served: %+v", st)
	}
}
