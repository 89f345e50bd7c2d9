package dataplane_test

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// scriptedADS is an ADS server driven by the test: it hands over each
// request and sends what the test says, recording the order of both.
type scriptedADS struct {
	discoveryv3.UnimplementedAggregatedDiscoveryServiceServer
	requests chan *discoveryv3.DiscoveryRequest
	send     chan *discoveryv3.DiscoveryResponse

	mu     sync.Mutex
	events []string
}

func (s *scriptedADS) record(e string) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
}

func (s *scriptedADS) StreamAggregatedResources(st discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesServer) error {
	go func() {
		for {
			req, err := st.Recv()
			if err != nil {
				return
			}
			select {
			case s.requests <- req:
			case <-st.Context().Done():
				return
			}
		}
	}()
	for {
		select {
		case resp := <-s.send:
			s.record("response " + resp.GetTypeUrl())
			if err := st.Send(resp); err != nil {
				return err
			}
		case <-st.Context().Done():
			return nil
		}
	}
}

// next returns the next request of typeURL, skipping (and recording)
// others.
func (s *scriptedADS) next(t *testing.T, typeURL string) *discoveryv3.DiscoveryRequest {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case req := <-s.requests:
			s.record(fmt.Sprintf("request %s %v nonce=%q", req.GetTypeUrl(), req.GetResourceNames(), req.GetResponseNonce()))
			if req.GetTypeUrl() == typeURL {
				return req
			}
		case <-deadline:
			t.Fatalf("no %s request; events %v", typeURL, s.events)
		}
	}
}

func (s *scriptedADS) respond(t *testing.T, typeURL string, msgs ...proto.Message) {
	t.Helper()
	resp := &discoveryv3.DiscoveryResponse{TypeUrl: typeURL, VersionInfo: "1", Nonce: typeURL}
	for _, m := range msgs {
		a, err := anypb.New(m)
		if err != nil {
			t.Fatal(err)
		}
		resp.Resources = append(resp.Resources, a)
	}
	s.send <- resp
}

// TestInitializationOrder drives a proxy through Envoy's initialization
// by hand: CDS first; EDS for its cluster; LDS only once the cluster
// warmed; RDS for its listener; ready only once the route configuration
// arrived.
func TestInitializationOrder(t *testing.T) {
	ads := &scriptedADS{requests: make(chan *discoveryv3.DiscoveryRequest, 100), send: make(chan *discoveryv3.DiscoveryResponse)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, ads)
	var wg sync.WaitGroup
	wg.Go(func() { _ = g.Serve(ln) })
	t.Cleanup(func() { g.Stop(); wg.Wait() })

	b := backend(t, "one")
	res, err := translator.Translate(httpIR([]netip.AddrPort{b}, toBackend("r", "*", "/")))
	if err != nil {
		t.Fatal(err)
	}
	pod := podIP()
	p := startProxy(t, plainBootstrap(uint32(netip.MustParseAddrPort(ln.Addr().String()).Port())), pod)

	cds := ads.next(t, resourcev3.ClusterType)
	if cds.GetNode().GetUserAgentName() != "envoy" || len(cds.GetResourceNames()) != 0 {
		t.Fatalf("first request %v", cds)
	}
	ads.respond(t, resourcev3.ClusterType, asMessages(res.Clusters)...)
	eds := ads.next(t, resourcev3.EndpointType)
	if len(eds.GetResourceNames()) != 1 || eds.GetResourceNames()[0] != res.Clusters[0].GetName() {
		t.Fatalf("EDS request %v", eds)
	}
	ads.respond(t, resourcev3.EndpointType, asMessages(res.Endpoints)...)
	ads.next(t, resourcev3.ListenerType)
	ads.mu.Lock()
	events := append([]string(nil), ads.events...)
	ads.mu.Unlock()
	if !slices.Contains(events, "response "+resourcev3.EndpointType) {
		t.Fatalf("LDS requested before the EDS response: %v", events)
	}
	ads.respond(t, resourcev3.ListenerType, asMessages(res.Listeners)...)
	rds := ads.next(t, resourcev3.RouteType)
	if len(rds.GetResourceNames()) != 1 || rds.GetResourceNames()[0] != res.Routes[0].GetName() {
		t.Fatalf("RDS request %v", rds)
	}
	ads.next(t, resourcev3.ListenerType) // the LDS ACK, sent after the RDS request
	if p.Ready() {
		t.Fatal("ready before the listener's route configuration arrived")
	}
	ads.respond(t, resourcev3.RouteType, asMessages(res.Routes)...)
	waitReady(t, p)
	if r, err := get(client(t), fmt.Sprintf("http://%s/", netip.AddrPortFrom(pod, listenerPort)), "a"); err != nil || r.status != 200 {
		t.Fatalf("traffic: %v %+v", err, r)
	}
}

func asMessages[T proto.Message](in []T) []proto.Message {
	out := make([]proto.Message, len(in))
	for i, m := range in {
		out[i] = m
	}
	return out
}
