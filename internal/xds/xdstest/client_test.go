package xdstest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

func TestClientFollowsAFleet(t *testing.T) {
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

	x := &ir.Xds{
		HTTP: []*ir.HTTPListener{{
			Name: "ns/gw/http", Address: "0.0.0.0", Port: 10080, Hostnames: []string{"*"},
			Routes: []*ir.HTTPRoute{{
				Name: "httproute/ns/r/rule/0/match/0", Hostname: "*",
				PathMatch:   &ir.StringMatch{Type: ir.MatchPrefix, Value: "/"},
				Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/ns/web/80", Weight: 1}}},
			}},
		}},
		Clusters: []*ir.Cluster{{Name: "service/ns/web/80", Discovery: ir.DiscoveryEDS, Endpoints: []*ir.Endpoint{{Address: "10.0.0.1", Port: 8080}}}},
	}
	res, err := translator.Translate(x)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Update("ns/gw", res); err != nil {
		t.Fatal(err)
	}

	c, err := Dial(srv.Addr().String(), "ns/gw", insecure.NewCredentials())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
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
	c, err := DialWith(srv.Addr().String(), "ns/gw", insecure.NewCredentials(), Options{NodeID: "pod-1"})
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
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
