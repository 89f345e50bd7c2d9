package xdsclient_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/go-logr/logr"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/envoygw/envoy-gateway/test/dataplane/xdsclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout bounds every wait: generous for a loaded machine.
const waitTimeout = 30 * time.Second

// fakeADS is an ADS server that hands each stream's requests to the test
// and sends the responses the test gives it.
type fakeADS struct {
	discoveryv3.UnimplementedAggregatedDiscoveryServiceServer
	streams chan *fakeStream
}

type fakeStream struct {
	requests  chan *discoveryv3.DiscoveryRequest
	responses chan *discoveryv3.DiscoveryResponse
	done      chan struct{}
}

func (f *fakeADS) StreamAggregatedResources(s discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesServer) error {
	fs := &fakeStream{
		requests:  make(chan *discoveryv3.DiscoveryRequest, 100),
		responses: make(chan *discoveryv3.DiscoveryResponse),
		done:      make(chan struct{}),
	}
	select {
	case f.streams <- fs:
	case <-s.Context().Done():
		return nil
	}
	go func() {
		for {
			req, err := s.Recv()
			if err != nil {
				close(fs.requests)
				return
			}
			fs.requests <- req
		}
	}()
	for {
		select {
		case resp := <-fs.responses:
			if err := s.Send(resp); err != nil {
				return err
			}
		case <-fs.done:
			return errors.New("stream closed by the test")
		case <-s.Context().Done():
			return nil
		}
	}
}

func (fs *fakeStream) next(t *testing.T) *discoveryv3.DiscoveryRequest {
	t.Helper()
	select {
	case req, ok := <-fs.requests:
		if !ok {
			t.Fatal("stream ended")
		}
		return req
	case <-time.After(waitTimeout):
		t.Fatal("no request")
	}
	return nil
}

// sendCDS sends a CDS response.
func (fs *fakeStream) sendCDS(t *testing.T, version, nonce string, msgs ...proto.Message) {
	t.Helper()
	resp := &discoveryv3.DiscoveryResponse{TypeUrl: xdsclient.ClusterType, VersionInfo: version, Nonce: nonce}
	for _, m := range msgs {
		a, err := anypb.New(m)
		if err != nil {
			t.Fatal(err)
		}
		resp.Resources = append(resp.Resources, a)
	}
	select {
	case fs.responses <- resp:
	case <-time.After(waitTimeout):
		t.Fatal("response not taken")
	}
}

// setup starts a fake server and a client with the handlers; the client
// runs until the test ends.
func setup(t *testing.T, handlers map[string]xdsclient.Handler, subscribe func(*xdsclient.Client)) (*fakeADS, *xdsclient.Client) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	f := &fakeADS{streams: make(chan *fakeStream, 4)}
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	c := xdsclient.New(xdsclient.Options{
		Node:           &corev3.Node{Id: "n", Cluster: "fleet", UserAgentName: "envoy"},
		Conn:           conn,
		Handlers:       handlers,
		InitialBackoff: time.Millisecond,
		MaxBackoff:     10 * time.Millisecond,
		Logger:         logr.Discard(),
	})
	subscribe(c)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { c.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		_ = conn.Close()
		srv.Stop()
	})
	return f, c
}

func (f *fakeADS) stream(t *testing.T) *fakeStream {
	t.Helper()
	select {
	case s := <-f.streams:
		return s
	case <-time.After(waitTimeout):
		t.Fatal("no stream")
	}
	return nil
}

func cluster(name string) *clusterv3.Cluster { return &clusterv3.Cluster{Name: name} }

func TestACKThenSubscriptionThenNACK(t *testing.T) {
	reject := make(chan bool, 10)
	var c *xdsclient.Client
	handlers := map[string]xdsclient.Handler{
		xdsclient.ClusterType: xdsclient.HandlerFunc(func(u xdsclient.Update) error {
			if <-reject {
				return errors.New("cluster b: field x is not implemented")
			}
			var names []string
			for _, r := range u.Resources {
				names = append(names, r.Name)
			}
			c.Subscribe(xdsclient.EndpointType, names)
			return nil
		}),
		xdsclient.EndpointType: xdsclient.HandlerFunc(func(xdsclient.Update) error { return nil }),
	}
	f, c := setup(t, handlers, func(c *xdsclient.Client) { c.SubscribeWildcard(xdsclient.ClusterType) })
	s := f.stream(t)

	first := s.next(t)
	if first.GetNode().GetId() != "n" || first.GetTypeUrl() != xdsclient.ClusterType ||
		len(first.GetResourceNames()) != 0 || first.GetVersionInfo() != "" || first.GetResponseNonce() != "" {
		t.Fatalf("first request = %v", first)
	}

	reject <- false
	s.sendCDS(t, "v1", "n1", cluster("b"), cluster("a"))
	eds := s.next(t)
	if eds.GetTypeUrl() != xdsclient.EndpointType || strings.Join(eds.GetResourceNames(), ",") != "a,b" || eds.GetNode() != nil {
		t.Fatalf("EDS request (before the CDS ACK, as Envoy) = %v", eds)
	}
	ack := s.next(t)
	if ack.GetTypeUrl() != xdsclient.ClusterType || ack.GetVersionInfo() != "v1" || ack.GetResponseNonce() != "n1" || ack.GetErrorDetail() != nil {
		t.Fatalf("ACK = %v", ack)
	}

	reject <- true
	s.sendCDS(t, "v2", "n2", cluster("b"))
	nack := s.next(t)
	if nack.GetVersionInfo() != "v1" || nack.GetResponseNonce() != "n2" ||
		nack.GetErrorDetail().GetCode() != 13 || nack.GetErrorDetail().GetMessage() != "cluster b: field x is not implemented" {
		t.Fatalf("NACK = %v", nack)
	}
	if got := c.Version(xdsclient.ClusterType); got != "v1" {
		t.Errorf("accepted version = %q, want v1", got)
	}
}

func TestDecodeErrorsAreNACKed(t *testing.T) {
	handlers := map[string]xdsclient.Handler{
		xdsclient.ClusterType: xdsclient.HandlerFunc(func(xdsclient.Update) error { return nil }),
	}
	f, _ := setup(t, handlers, func(c *xdsclient.Client) { c.SubscribeWildcard(xdsclient.ClusterType) })
	s := f.stream(t)
	s.next(t)
	tests := []struct {
		name string
		msgs []proto.Message
		want string
	}{
		{"duplicate names", []proto.Message{cluster("a"), cluster("a")}, `duplicate resource "a"`},
		{"wrong type", []proto.Message{&endpointv3.ClusterLoadAssignment{ClusterName: "a"}}, "has type type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment in a"},
	}
	for i, tt := range tests {
		s.sendCDS(t, "v", string(rune('a'+i)), tt.msgs...)
		nack := s.next(t)
		if !strings.Contains(nack.GetErrorDetail().GetMessage(), tt.want) {
			t.Errorf("%s: NACK = %v, want %q", tt.name, nack, tt.want)
		}
	}
}

func TestReconnectResendsWithVersionsAndNoNonce(t *testing.T) {
	handlers := map[string]xdsclient.Handler{
		xdsclient.ClusterType:  xdsclient.HandlerFunc(func(xdsclient.Update) error { return nil }),
		xdsclient.EndpointType: xdsclient.HandlerFunc(func(xdsclient.Update) error { return nil }),
	}
	f, _ := setup(t, handlers, func(c *xdsclient.Client) {
		c.SubscribeWildcard(xdsclient.ClusterType)
		c.Subscribe(xdsclient.EndpointType, []string{"x"})
	})
	s := f.stream(t)
	s.next(t)
	s.next(t)
	s.sendCDS(t, "v7", "n7", cluster("x"))
	if ack := s.next(t); ack.GetVersionInfo() != "v7" {
		t.Fatalf("ACK = %v", ack)
	}
	close(s.done)

	s2 := f.stream(t)
	cds, eds := s2.next(t), s2.next(t)
	if cds.GetNode().GetId() != "n" || cds.GetTypeUrl() != xdsclient.ClusterType || cds.GetVersionInfo() != "v7" || cds.GetResponseNonce() != "" {
		t.Errorf("first request after reconnect = %v", cds)
	}
	if eds.GetNode() != nil || eds.GetTypeUrl() != xdsclient.EndpointType || strings.Join(eds.GetResourceNames(), ",") != "x" {
		t.Errorf("second request after reconnect = %v", eds)
	}
}

func TestEmptyNamedSubscriptionSendsNothing(t *testing.T) {
	handlers := map[string]xdsclient.Handler{
		xdsclient.ClusterType: xdsclient.HandlerFunc(func(xdsclient.Update) error { return nil }),
	}
	f, c := setup(t, handlers, func(c *xdsclient.Client) {
		c.Subscribe(xdsclient.RouteType, nil)
		c.SubscribeWildcard(xdsclient.ClusterType)
	})
	s := f.stream(t)
	if req := s.next(t); req.GetTypeUrl() != xdsclient.ClusterType {
		t.Fatalf("first request = %v, want CDS (RDS has no names)", req)
	}
	c.Subscribe(xdsclient.RouteType, []string{"r2", "r1", "r2"})
	if req := s.next(t); req.GetTypeUrl() != xdsclient.RouteType || strings.Join(req.GetResourceNames(), ",") != "r1,r2" {
		t.Fatalf("RDS request = %v", req)
	}
}
