// Package xdstest owns an xDS client for integration tests: it connects to
// an ADS server over a real gRPC connection the way Envoy does (state of the
// world, wildcard listeners and clusters, then the routes, secrets and
// endpoints they name), ACKs every response, and exposes the latest
// resources and versions of each type for assertions. It can also NACK the
// responses a test refuses (SetReject) and lag behind (Pause, Resume). It uses only the
// generated discovery stubs, nothing of the server's internals.
package xdstest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Types are the xDS types the client follows, in the order Envoy asks for them.
var Types = []string{
	resourcev3.ClusterType, resourcev3.EndpointType, resourcev3.ListenerType,
	resourcev3.RouteType, resourcev3.SecretType,
}

// Client is a running state-of-the-world ADS client.
type Client struct {
	conn   *grpc.ClientConn
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	ctx    context.Context
	cancel context.CancelFunc
	node   *corev3.Node
	done   chan struct{}

	// applyMu makes responses apply one at a time, in order (see Resume).
	applyMu sync.Mutex

	mu    sync.Mutex
	state map[string]*typeState
	err   error
	// reject, paused, held: see SetReject and Pause.
	reject func(typeURL string, resources map[string]proto.Message) error
	paused bool
	held   []*discoveryv3.DiscoveryResponse
}

// Options configure a Client beyond its fleet.
type Options struct {
	// NodeID is the node id presented; empty means "xdstest-<fleet>".
	NodeID string
}

type typeState struct {
	version, nonce string
	// rejected is the version last NACKed, "" once a version is accepted.
	rejected  string
	names     []string // nil: wildcard
	requested bool
	resources map[string]proto.Message
}

// Dial connects to addr as a proxy of fleet (node.cluster) and starts
// following its configuration. Close stops it.
func Dial(addr, fleet string, creds credentials.TransportCredentials) (*Client, error) {
	return DialWith(addr, fleet, creds, Options{})
}

// DialWith is Dial with options.
func DialWith(addr, fleet string, creds credentials.TransportCredentials, opts Options) (*Client, error) {
	if opts.NodeID == "" {
		opts.NodeID = "xdstest-" + fleet
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
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
		conn: conn, stream: stream, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		node:  &corev3.Node{Id: opts.NodeID, Cluster: fleet, UserAgentName: "xdstest"},
		state: map[string]*typeState{},
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

// Err returns the error that ended the stream, if it ended.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Version returns the version of the last response of typeURL ("" before any).
func (c *Client) Version(typeURL string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.typ(typeURL).version
}

// Resources returns the resources of typeURL held now, by name. The messages
// must not be modified.
func (c *Client) Resources(typeURL string) map[string]proto.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.typ(typeURL).resources)
}

// Names returns the sorted names of the resources of typeURL held now.
func (c *Client) Names(typeURL string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.typ(typeURL).resources))
}

func (c *Client) typ(typeURL string) *typeState {
	s, ok := c.state[typeURL]
	if !ok {
		s = &typeState{resources: map[string]proto.Message{}}
		c.state[typeURL] = s
	}
	return s
}

func (c *Client) receive() {
	defer close(c.done)
	for {
		r, err := c.stream.Recv()
		if err == nil {
			err = c.handle(r)
		}
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
	}
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
	for _, r := range held {
		if err := c.apply(r); err != nil {
			return err
		}
	}
	return nil
}

// handle applies a response, or holds it while paused.
func (c *Client) handle(r *discoveryv3.DiscoveryResponse) error {
	c.applyMu.Lock()
	defer c.applyMu.Unlock()
	c.mu.Lock()
	if c.paused {
		c.held = append(c.held, r)
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	return c.apply(r)
}

// apply stores a response, ACKs it and follows the names it refers to, or
// NACKs it when the reject function refuses it.
func (c *Client) apply(r *discoveryv3.DiscoveryResponse) error {
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
	s := c.typ(r.GetTypeUrl())
	s.version, s.nonce, s.resources = r.GetVersionInfo(), r.GetNonce(), resources
	s.rejected = ""
	c.mu.Unlock()
	if err := c.send(r.GetTypeUrl(), nil); err != nil { // ACK
		return err
	}
	switch r.GetTypeUrl() {
	case resourcev3.ListenerType:
		routes, secrets := listenerRefs(resources)
		return errors.Join(c.follow(resourcev3.RouteType, routes), c.follow(resourcev3.SecretType, secrets))
	case resourcev3.ClusterType:
		return c.follow(resourcev3.EndpointType, edsRefs(resources))
	}
	return nil
}

// follow subscribes typeURL to names when they changed.
func (c *Client) follow(typeURL string, names []string) error {
	c.mu.Lock()
	s := c.typ(typeURL)
	unchanged := s.requested && slices.Equal(s.names, names)
	c.mu.Unlock()
	if unchanged || (len(names) == 0 && !s.requested) {
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
	return c.send(typeURL, nil)
}

// nackBackoff is how long the client waits before NACKing a version again:
// the server sends a rejected version again on every NACK, and a test
// client need not spin on it.
const nackBackoff = 100 * time.Millisecond

// nack rejects r with err, keeping the version and resources held.
func (c *Client) nack(r *discoveryv3.DiscoveryResponse, err error) error {
	c.mu.Lock()
	s := c.typ(r.GetTypeUrl())
	again := s.rejected == r.GetVersionInfo()
	s.nonce, s.rejected = r.GetNonce(), r.GetVersionInfo()
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
	return c.send(r.GetTypeUrl(), &status.Status{Code: int32(codes.InvalidArgument), Message: err.Error()})
}

func (c *Client) send(typeURL string, errDetail *status.Status) error {
	c.mu.Lock()
	s := c.typ(typeURL)
	req := &discoveryv3.DiscoveryRequest{
		Node: c.node, TypeUrl: typeURL, ResourceNames: s.names,
		VersionInfo: s.version, ResponseNonce: s.nonce, ErrorDetail: errDetail,
	}
	c.mu.Unlock()
	return c.stream.Send(req)
}

func resourceName(m proto.Message) string {
	if n, ok := m.(interface{ GetName() string }); ok {
		return n.GetName()
	}
	if cla, ok := m.(*endpointv3.ClusterLoadAssignment); ok {
		return cla.GetClusterName()
	}
	return ""
}

// listenerRefs returns the route configurations (RDS) and secrets (SDS) the listeners name.
func listenerRefs(listeners map[string]proto.Message) (routes, secrets []string) {
	rs, ss := map[string]bool{}, map[string]bool{}
	for _, m := range listeners {
		for _, fc := range m.(*listenerv3.Listener).GetFilterChains() {
			chainRefs(fc, rs, ss)
		}
	}
	return slices.Sorted(maps.Keys(rs)), slices.Sorted(maps.Keys(ss))
}

func chainRefs(fc *listenerv3.FilterChain, routes, secrets map[string]bool) {
	if ts := fc.GetTransportSocket(); ts != nil && ts.GetTypedConfig() != nil {
		var tlsCtx tlsv3.DownstreamTlsContext
		if err := anypb.UnmarshalTo(ts.GetTypedConfig(), &tlsCtx, proto.UnmarshalOptions{}); err == nil {
			for _, sds := range tlsCtx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
				secrets[sds.GetName()] = true
			}
		}
	}
	for _, f := range fc.GetFilters() {
		var hcm hcmv3.HttpConnectionManager
		if f.GetTypedConfig() == nil || anypb.UnmarshalTo(f.GetTypedConfig(), &hcm, proto.UnmarshalOptions{}) != nil {
			continue
		}
		if rds := hcm.GetRds(); rds != nil {
			routes[rds.GetRouteConfigName()] = true
		}
	}
}

// edsRefs returns the names of the EDS clusters.
func edsRefs(clusters map[string]proto.Message) []string {
	var names []string
	for name, m := range clusters {
		if m.(*clusterv3.Cluster).GetType() == clusterv3.Cluster_EDS {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// RouteConfiguration returns the route configuration named name, or nil.
func (c *Client) RouteConfiguration(name string) *routev3.RouteConfiguration {
	m, _ := c.Resources(resourcev3.RouteType)[name].(*routev3.RouteConfiguration)
	return m
}
