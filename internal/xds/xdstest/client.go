// Package xdstest owns xDS clients for integration tests and benchmarks:
// they connect to an ADS server over a real gRPC connection the way Envoy
// does (wildcard listeners and clusters, then the routes, secrets and
// endpoints they name; Envoy's HTTP/2 receive windows), ACK every
// response, and expose the latest resources and versions of each type for
// assertions, and Await for the moment a condition on them first holds.
// Client speaks state of the world, DeltaClient incremental (delta) xDS.
// They use only the generated discovery stubs, nothing of the server's
// internals. Client can also NACK the responses a test refuses (SetReject)
// and lag behind (Pause, Resume).
package xdstest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/infra/bootstrap"
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
	// NodeID is node.id; empty means "<client kind>-<fleet>".
	NodeID string
}

func (o Options) node(prefix string) *corev3.Node {
	ua := o.UserAgent
	if ua == "" {
		ua = "xdstest"
	}
	id := o.NodeID
	if id == "" {
		id = prefix + "-" + o.Fleet
	}
	return &corev3.Node{Id: id, Cluster: o.Fleet, UserAgentName: ua}
}

func (o Options) dial(addr string) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(o.Creds),
		// Envoy's windows, not gRPC-Go's.
		grpc.WithInitialWindowSize(bootstrap.EnvoyStreamWindowBytes),
		grpc.WithInitialConnWindowSize(bootstrap.EnvoyConnectionWindowBytes),
	}
	if o.MaxMessageBytes > 0 {
		opts = append(opts, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(o.MaxMessageBytes)))
	}
	return grpc.NewClient(addr, opts...)
}

// Client is a running state-of-the-world ADS client.
type Client struct {
	*store
	*link
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	node   *corev3.Node

	// applyMu makes responses apply one at a time, in order (see Resume).
	applyMu sync.Mutex
	// Guarded by the store's mu: see SetReject and Pause. rejected is the
	// version last NACKed per type.
	reject   func(typeURL string, resources map[string]proto.Message) error
	paused   bool
	held     []heldResponse
	rejected map[string]string
}

type heldResponse struct {
	r  *discoveryv3.DiscoveryResponse
	at time.Time
}

// Dial connects to addr as a proxy of fleet (node.cluster) and starts
// following its configuration. Close stops it.
func Dial(addr, fleet string, creds credentials.TransportCredentials) (*Client, error) {
	return DialWith(addr, Options{Fleet: fleet, Creds: creds})
}

// DialWith is Dial with every option.
func DialWith(addr string, opts Options) (*Client, error) {
	l, stream, err := openLink(addr, opts, func(ctx context.Context, ads discoveryv3.AggregatedDiscoveryServiceClient) (discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient, error) {
		return ads.StreamAggregatedResources(ctx)
	})
	if err != nil {
		return nil, err
	}
	c := &Client{
		store: newStore(), link: l, stream: stream,
		node: opts.node("xdstest"), rejected: map[string]string{},
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

func (c *Client) receive() {
	receiveUntilError(c.link, c.stream.Recv, c.handle, c.fail)
}

// SetReject makes the client NACK every response for which reject returns
// an error (its message is the error_detail), keeping what it holds, as
// Envoy does with a configuration it refuses. nil accepts everything.
func (c *Client) SetReject(reject func(typeURL string, resources map[string]proto.Message) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reject = reject
}

// Pause makes the client hold the responses it receives, neither applying
// nor ACKing them, until Resume: a proxy that lags behind.
func (c *Client) Pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paused = true
}

// Resume applies and ACKs the responses held since Pause, in order, and
// the next ones as they come.
func (c *Client) Resume() error {
	c.applyMu.Lock()
	defer c.applyMu.Unlock()
	c.mu.Lock()
	held := c.held
	c.held, c.paused = nil, false
	c.mu.Unlock()
	for _, h := range held {
		if err := c.apply(h.r, h.at); err != nil {
			return err
		}
	}
	return nil
}

// handle applies a response received at at, or holds it while paused.
func (c *Client) handle(r *discoveryv3.DiscoveryResponse, at time.Time) error {
	c.applyMu.Lock()
	defer c.applyMu.Unlock()
	c.mu.Lock()
	if c.paused {
		c.held = append(c.held, heldResponse{r: r, at: at})
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	return c.apply(r, at)
}

// apply stores a response received at at, ACKs it and follows the names
// it refers to, or NACKs it when the reject function refuses it.
func (c *Client) apply(r *discoveryv3.DiscoveryResponse, at time.Time) error {
	resources := make(map[string]proto.Message, len(r.GetResources()))
	for _, a := range r.GetResources() {
		m, err := a.UnmarshalNew()
		if err != nil {
			return fmt.Errorf("decoding %s: %w", r.GetTypeUrl(), err)
		}
		resources[resourceName(m)] = m
	}
	c.mu.Lock()
	reject := c.reject
	c.mu.Unlock()
	if reject != nil {
		if err := reject(r.GetTypeUrl(), resources); err != nil {
			return c.nack(r, err)
		}
	}
	c.mu.Lock()
	delete(c.rejected, r.GetTypeUrl())
	held := c.merged(r.GetTypeUrl(), resources)
	c.mu.Unlock()
	c.updated(r.GetTypeUrl(), r.GetVersionInfo(), r.GetNonce(), held, at)
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
	if names != nil { // resources no longer named are dropped, as Envoy does
		s.resources = maps.Clone(s.resources)
		maps.DeleteFunc(s.resources, func(n string, _ proto.Message) bool { return !slices.Contains(names, n) })
	}
	c.mu.Unlock()
	return c.send(typeURL)
}

// merged is what the client holds of typeURL after a response carrying
// resources: listeners and clusters come as the whole set; a response of
// another type updates the resources it names (state-of-the-world xDS),
// and the others stay. c.mu must be held.
func (c *Client) merged(typeURL string, resources map[string]proto.Message) map[string]proto.Message {
	if cachev3.ResourceRequiresFullStateInSotw(typeURL) {
		return resources
	}
	out := maps.Clone(c.typ(typeURL).resources)
	maps.Copy(out, resources)
	return out
}

func (c *Client) send(typeURL string) error {
	return c.sendWith(typeURL, nil)
}

func (c *Client) sendWith(typeURL string, errDetail *status.Status) error {
	c.mu.Lock()
	s := c.typ(typeURL)
	req := &discoveryv3.DiscoveryRequest{
		Node: c.node, TypeUrl: typeURL, ResourceNames: s.names,
		VersionInfo: s.version, ResponseNonce: s.nonce, ErrorDetail: errDetail,
	}
	c.mu.Unlock()
	return c.stream.Send(req)
}

// nackBackoff is how long the client waits before NACKing a version again:
// the server sends a rejected version again on every NACK, and a test
// client need not spin on it.
const nackBackoff = 100 * time.Millisecond

// nack rejects r with err, keeping the version and resources held.
func (c *Client) nack(r *discoveryv3.DiscoveryResponse, err error) error {
	c.mu.Lock()
	again := c.rejected[r.GetTypeUrl()] == r.GetVersionInfo()
	c.rejected[r.GetTypeUrl()] = r.GetVersionInfo()
	c.typ(r.GetTypeUrl()).nonce = r.GetNonce()
	c.mu.Unlock()
	if again {
		t := time.NewTimer(nackBackoff)
		defer t.Stop()
		select {
		case <-c.ctx.Done():
			return c.ctx.Err()
		case <-t.C:
		}
	}
	return c.sendWith(r.GetTypeUrl(), &status.Status{Code: int32(codes.InvalidArgument), Message: err.Error()})
}
