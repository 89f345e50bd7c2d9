package xdstest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// startServer runs an xDS server serving one fleet "ns/gw" with the
// translation of fleetIR(backend); update changes its backend address.
func startServer(t *testing.T) (addr string, update func(backend string)) {
	t.Helper()
	srv, err := server.New(server.Options{Address: "127.0.0.1", Plaintext: true, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	update = func(backend string) {
		t.Helper()
		res, err := translator.Translate(fleetIR(backend))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Update("ns/gw", res); err != nil {
			t.Fatal(err)
		}
	}
	update("10.0.0.1")
	return srv.Addr().String(), update
}

func fleetIR(backend string) *ir.Xds {
	return &ir.Xds{
		HTTP: []*ir.HTTPListener{{
			Name: "ns/gw/http", Address: "0.0.0.0", Port: 10080, Hostnames: []string{"*"},
			Routes: []*ir.HTTPRoute{{
				Name: "httproute/ns/r/rule/0/match/0", Hostname: "*",
				PathMatch:   &ir.StringMatch{Type: ir.MatchPrefix, Value: "/"},
				Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/ns/web/80", Weight: 1}}},
			}},
		}},
		Clusters: []*ir.Cluster{{Name: "service/ns/web/80", Discovery: ir.DiscoveryEDS, Endpoints: []*ir.Endpoint{{Address: backend, Port: 8080}}}},
	}
}

// follower is what both clients offer.
type follower interface {
	Names(typeURL string) []string
	Version(typeURL string) string
	Err() error
	Await(typeURL string, pred Predicate) <-chan time.Time
	RouteConfiguration(name string) *routev3.RouteConfiguration
}

// backendIs holds when the fleet's only assignment has the address.
func backendIs(address string) Predicate {
	return func(res map[string]proto.Message) bool {
		cla, ok := res["service/ns/web/80"].(*endpointv3.ClusterLoadAssignment)
		return ok && cla.GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress().GetAddress() == address
	}
}

func checkFollows(t *testing.T, c follower, update func(string)) {
	t.Helper()
	waitFor(t, func() bool {
		return len(c.Names(resourcev3.ListenerType)) == 1 && len(c.Names(resourcev3.RouteType)) == 1 &&
			slices.Equal(c.Names(resourcev3.EndpointType), []string{"service/ns/web/80"})
	})
	if c.RouteConfiguration(c.Names(resourcev3.RouteType)[0]) == nil {
		t.Fatal("route configuration not decoded")
	}
	if c.Version(resourcev3.ClusterType) == "" || c.Err() != nil {
		t.Fatalf("version %q err %v", c.Version(resourcev3.ClusterType), c.Err())
	}
	select {
	case <-c.Await(resourcev3.EndpointType, backendIs("10.0.0.1")):
	default:
		t.Fatal("Await does not answer at once for a state already held")
	}
	before := time.Now()
	moved := c.Await(resourcev3.EndpointType, backendIs("10.0.0.2"))
	update("10.0.0.2")
	select {
	case at := <-moved:
		if at.Before(before) {
			t.Errorf("Await answered %v, before the change at %v", at, before)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the new endpoint did not arrive within 30s (err %v)", c.Err())
	}
}

func TestClientFollowsAFleet(t *testing.T) {
	addr, update := startServer(t)
	c, err := Dial(addr, "ns/gw", insecure.NewCredentials())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkFollows(t, c, update)
}

func TestDeltaClientFollowsAFleet(t *testing.T) {
	for _, ua := range []string{"xdstest", "envoy"} {
		t.Run(ua, func(t *testing.T) {
			addr, update := startServer(t)
			c, err := DialDelta(addr, Options{Fleet: "ns/gw", Creds: insecure.NewCredentials(), UserAgent: ua})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			checkFollows(t, c, update)
		})
	}
}

func TestClientRejectsAndLags(t *testing.T) {
	srv, err := server.New(server.Options{Address: "127.0.0.1", Plaintext: true, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	defer func() { cancel(); <-done }()
	update := func(port uint32) {
		t.Helper()
		res, err := translator.Translate(&ir.Xds{HTTP: []*ir.HTTPListener{{
			Name: "ns/gw/http", Address: "0.0.0.0", Port: port, Hostnames: []string{"*"},
			Routes: []*ir.HTTPRoute{{
				Name: "httproute/ns/r/rule/0/match/0", Hostname: "*",
				Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/ns/web/80", Weight: 1}}},
			}},
		}}, Clusters: []*ir.Cluster{{Name: "service/ns/web/80", Discovery: ir.DiscoveryEDS, Endpoints: []*ir.Endpoint{{Address: "10.0.0.1", Port: 8080}}}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Update("ns/gw", res); err != nil {
			t.Fatal(err)
		}
	}
	state := func() server.ProxyState {
		st, _, connected := srv.FleetStatus("ns/gw").State()
		if !connected {
			return "NoProxies"
		}
		return st
	}
	update(10080)
	c, err := DialWith(srv.Addr().String(), Options{Fleet: "ns/gw", Creds: insecure.NewCredentials(), NodeID: "pod-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, func() bool { return state() == server.ProxyApplied })

	c.SetReject(func(typeURL string, _ map[string]proto.Message) error {
		if typeURL == resourcev3.ListenerType {
			return errors.New("listener refused")
		}
		return nil
	})
	update(10081)
	waitFor(t, func() bool { return state() == server.ProxyRejected })
	if _, rej, _ := srv.FleetStatus("ns/gw").State(); rej.Node != "pod-1" || rej.ErrorDetail != "listener refused" {
		t.Errorf("rejection = %+v", rej)
	}
	if got := c.Names(resourcev3.ListenerType); !slices.Equal(got, []string{"listener/0.0.0.0/10080"}) {
		t.Errorf("after a NACK the client holds %v, want the previous listener", got)
	}
	c.SetReject(nil)
	update(10080) // the fix: the rejected version is not sent again
	waitFor(t, func() bool { return state() == server.ProxyApplied })

	c.Pause()
	update(10082)
	waitFor(t, func() bool { return state() == server.ProxyPending })
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return state() == server.ProxyApplied })
	if got := c.Names(resourcev3.ListenerType); !slices.Equal(got, []string{"listener/0.0.0.0/10082"}) {
		t.Errorf("after Resume the client holds %v", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous for loaded machines; decides no result
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
