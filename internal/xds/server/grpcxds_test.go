package server_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/go-logr/logr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/xds"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// TestGRPCXdsClient runs grpc-go's own xDS client against the server: it
// asks for one listener, one cluster and one assignment by name out of a
// fleet that has more, resolves a gRPC backend through them and calls it.
func TestGRPCXdsClient(t *testing.T) {
	backend := startHealthBackend(t)

	s, err := server.New(server.Options{Address: "127.0.0.1", Plaintext: true, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s)

	// The fleet's Envoy resources plus an API listener for the gRPC client.
	const target = "health-backend"
	const cluster = "service/grpc/health/50051"
	res := translate(t, fleetIR("a", ""))
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: target,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: translator.RouteConfiguration("route/"+target,
			[]*routev3.VirtualHost{translator.VirtualHost("*", []*routev3.Route{{
				Name:   "all",
				Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}}},
			}})})},
		HttpFilters: []*hcmv3.HttpFilter{{
			Name:       "envoy.filters.http.router",
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: translator.MustAny(&routerv3.Router{})},
		}},
	}
	res.Listeners = append(res.Listeners, &listenerv3.Listener{
		Name:        target,
		ApiListener: &listenerv3.ApiListener{ApiListener: translator.MustAny(hcm)},
	})
	res.Clusters = append(res.Clusters, &clusterv3.Cluster{
		Name:                 cluster,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: translator.ADSConfigSource()},
		ConnectTimeout:       durationpb.New(time.Second),
	})
	host, port := splitHostPort(t, backend)
	res.Endpoints = append(res.Endpoints, &endpointv3.ClusterLoadAssignment{
		ClusterName: cluster,
		Endpoints: []*endpointv3.LocalityLbEndpoints{{
			Locality:            &corev3.Locality{Zone: "local"},
			LoadBalancingWeight: wrapperspb.UInt32(1), // grpc-go ignores localities without weight
			LbEndpoints:         []*endpointv3.LbEndpoint{translator.LbEndpoint(host, port)},
		}},
	})
	update(t, s, "grpc-fleet", res)

	bootstrap := fmt.Sprintf(`{
		"xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
		"node": {"id": "grpc-client-1", "cluster": "grpc-fleet"}
	}`, s.Addr().String())
	resolver, err := xds.NewXDSResolverWithConfigForTesting([]byte(bootstrap))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient("xds:///"+target, grpc.WithResolvers(resolver), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatalf("health check through xDS: %v", err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health status %v", resp.GetStatus())
	}
}

// startHealthBackend serves the gRPC health service on a loopback port
// until the test ends.
func startHealthBackend(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	healthpb.RegisterHealthServer(g, health.NewServer())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = g.Serve(l)
	}()
	t.Cleanup(func() {
		g.Stop()
		<-done
	})
	return l.Addr().String()
}

func splitHostPort(t *testing.T, addr string) (string, uint32) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var port uint32
	if _, err := fmt.Sscan(p, &port); err != nil {
		t.Fatal(err)
	}
	return host, port
}
