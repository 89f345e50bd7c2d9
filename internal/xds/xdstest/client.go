// Package xdstest owns xDS clients for integration tests and benchmarks:
// they connect to an ADS server over a real gRPC connection the way Envoy
// does (wildcard listeners and clusters, then the routes, secrets and
// endpoints they name), ACK every response, and expose the latest resources
// and versions of each type for assertions, and Await for the moment a
// condition on them first holds. Client speaks state of the world,
// DeltaClient incremental (delta) xDS. They use only the generated
// discovery stubs, nothing of the server's internals.
package xdstest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
)

// Options configure a client.
type Options struct {
	// Fleet is the node's cluster: the fleet whose configuration it gets.
	Fleet string
	// Creds are the transport credentials.
	Creds credentials.TransportCredentials
	// UserAgent is node.user_agent_name; empty means "xdstest". The xDS
	// server treats "envoy" as Envoy (ADS ordering, all names at once).
	UserAgent string
	// MaxMessageBytes bounds a response; 0 means gRPC's default (4 MiB),
	// too small for the routes or clusters of thousands of routes.
	MaxMessageBytes int
}

func (o Options) node(prefix string) *corev3.Node {
	ua := o.UserAgent
	if ua == "" {
		ua = "xdstest"
	}
	return &corev3.Node{Id: prefix + "-" + o.Fleet, Cluster: o.Fleet, UserAgentName: ua}
}

func (o Options) dial(addr string) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{grpc.WithTransportCredentials(o.Creds)}
	if o.MaxMessageBytes > 0 {
		opts = append(opts, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(o.MaxMessageBytes)))
	}
	return grpc.NewClient(addr, opts...)
}

// Client is a running state-of-the-world ADS client.
type Client struct {
	*store
	conn   *grpc.ClientConn
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	cancel context.CancelFunc
	node   *corev3.Node
	done   chan struct{}
}

// Dial connects to addr as a proxy of fleet (node.cluster) and starts
// following its configuration. Close stops it.
func Dial(addr, fleet string, creds credentials.TransportCredentials) (*Client, error) {
	return DialWith(addr, Options{Fleet: fleet, Creds: creds})
}

// DialWith is Dial with every option.
func DialWith(addr string, opts Options) (*Client, error) {
	conn, err := opts.dial(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		cancel()
		_ = conn.Close()
		return nil, err
	}
	c := &Client{
		store: newStore(), conn: conn, stream: stream, cancel: cancel, done: make(chan struct{}),
		node: opts.node("xdstest"),
	}
	for _, t := range []string{resourcev3.ClusterType, resourcev3.ListenerType} {
		if err := c.subscribe(t, nil); err != nil {
			c.Close()
			return nil, err
		}
	}
	go c.receive()
	return c, nil
}

// Close ends the stream and the connection and waits for the receiver.
func (c *Client) Close() {
	c.cancel()
	<-c.done
	_ = c.conn.Close()
}

func (c *Client) receive() {
	defer close(c.done)
	for {
		r, err := c.stream.Recv()
		if err == nil {
			err = c.handle(r, time.Now())
		}
		if err != nil {
			c.fail(err)
			return
		}
	}
}

// handle stores a response received at at, ACKs it and follows the names
// it refers to.
func (c *Client) handle(r *discoveryv3.DiscoveryResponse, at time.Time) error {
	resources := make(map[string]proto.Message, len(r.GetResources()))
	for _, a := range r.GetResources() {
		m, err := a.UnmarshalNew()
		if err != nil {
			return fmt.Errorf("decoding %s: %w", r.GetTypeUrl(), err)
		}
		resources[resourceName(m)] = m
	}
	c.updated(r.GetTypeUrl(), r.GetVersionInfo(), r.GetNonce(), resources, at)
	if err := c.send(r.GetTypeUrl()); err != nil { // ACK
		return err
	}
	var errs []error
	for typeURL, names := range refsOf(r.GetTypeUrl(), resources) {
		errs = append(errs, c.follow(typeURL, names))
	}
	return errors.Join(errs...)
}

// follow subscribes typeURL to names when they changed.
func (c *Client) follow(typeURL string, names []string) error {
	c.mu.Lock()
	s := c.typ(typeURL)
	unchanged := s.requested && slices.Equal(s.names, names)
	requested := s.requested
	c.mu.Unlock()
	if unchanged || (len(names) == 0 && !requested) {
		return nil
	}
	if names == nil {
		names = []string{}
	}
	return c.subscribe(typeURL, names)
}

func (c *Client) subscribe(typeURL string, names []string) error {
	c.mu.Lock()
	s := c.typ(typeURL)
	s.names, s.requested = names, true
	c.mu.Unlock()
	return c.send(typeURL)
}

func (c *Client) send(typeURL string) error {
	c.mu.Lock()
	s := c.typ(typeURL)
	req := &discoveryv3.DiscoveryRequest{
		Node: c.node, TypeUrl: typeURL, ResourceNames: s.names,
		VersionInfo: s.version, ResponseNonce: s.nonce,
	}
	c.mu.Unlock()
	return c.stream.Send(req)
}
