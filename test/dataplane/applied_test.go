package dataplane_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// fleetState returns the fleet's state, or "NoProxies".
func fleetState(s *server.Server) (server.ProxyState, *server.Rejection) {
	st, rej, connected := s.FleetStatus(fleet).State()
	if !connected {
		return "NoProxies", nil
	}
	return st, rej
}

// TestFleetStatusFollowsTheDataPlane: the xDS server's view of a proxy
// (Applied, Rejected with the route the data plane names, Applied again)
// follows the test data plane's ACKs and NACKs.
func TestFleetStatusFollowsTheDataPlane(t *testing.T) {
	s, port := xdsServer(t)
	b := backend(t, "one")
	const refused = "httproute/default/refused/rule/0/match/0"
	x := httpIR([]netip.AddrPort{b}, toBackend("httproute/default/ok/rule/0/match/0", "www.example.com", "/"),
		toBackend(refused, "*", "/refused"))
	update := func(res *translator.Resources) {
		t.Helper()
		if _, err := s.Update(fleet, res); err != nil {
			t.Fatal(err)
		}
	}
	update(translated(t, x, nil))
	p := startProxy(t, plainBootstrap(port), podIP())
	waitReady(t, p)
	eventually(t, "Applied", func() (bool, string) {
		st, _ := fleetState(s)
		return st == server.ProxyApplied, string(st)
	})

	// A route field the data plane does not implement, on the second route.
	res := translated(t, x, nil)
	rc := proto.Clone(res.Routes[0]).(*routev3.RouteConfiguration)
	var found bool
	for _, vh := range rc.GetVirtualHosts() {
		for _, r := range vh.GetRoutes() {
			if r.GetName() == refused {
				r.Decorator, found = &routev3.Decorator{Operation: "refused"}, true
			}
		}
	}
	if !found {
		t.Fatalf("no route %s in %v", refused, rc)
	}
	res.Routes[0] = rc
	update(res)
	var rej *server.Rejection
	eventually(t, "Rejected", func() (bool, string) {
		var st server.ProxyState
		st, rej = fleetState(s)
		return st == server.ProxyRejected, string(st)
	})
	if rej.TypeURL != resourcev3.RouteType || !strings.Contains(rej.ErrorDetail, "decorator") ||
		!slices.Equal(rej.RejectedRoutes, []string{refused}) {
		t.Errorf("rejection = %+v", rej)
	}
	t.Logf("the data plane's error: %s", rej.ErrorDetail)

	update(translated(t, x, nil))
	eventually(t, "Applied again", func() (bool, string) {
		st, rej := fleetState(s)
		return st == server.ProxyApplied, fmt.Sprintf("%s %+v", st, rej)
	})
}
