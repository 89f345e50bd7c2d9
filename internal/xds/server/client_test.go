package server_test

// This file holds the test's xDS clients. They use only the generated
// discovery service stubs over a real socket, never the server's internals.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// waitTimeout bounds every wait for a response.
const waitTimeout = 30 * time.Second // an upper bound for loaded CI machines

// dial connects to addr with TLS (when tlsCfg is set) or in plaintext, and
// closes the connection when the test ends.
func dial(t *testing.T, addr string, tlsCfg *tls.Config) *grpc.ClientConn {
	t.Helper()
	creds := insecure.NewCredentials()
	if tlsCfg != nil {
		creds = credentials.NewTLS(tlsCfg)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// clientTLS trusts caPEM and presents cert (when not nil).
func clientTLS(t *testing.T, caPEM []byte, cert *tls.Certificate) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("no CA certificate")
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return cfg
}

func node(id, fleet, userAgent string) *corev3.Node {
	return &corev3.Node{Id: id, Cluster: fleet, UserAgentName: userAgent}
}

// typeState is what a client holds of one resource type.
type typeState struct {
	names     []string // subscribed names; nil is a wildcard subscription
	version   string
	nonce     string
	resources map[string]proto.Message
	requested bool
}

// sotwClient is a state-of-the-world ADS client. With follow set, it
// subscribes to the routes, secrets and endpoints its listeners and clusters
// refer to, as Envoy does.
type sotwClient struct {
	t         *testing.T
	node      *corev3.Node
	stream    discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	responses chan *discoveryv3.DiscoveryResponse
	done      chan error
	state     map[string]*typeState
	follow    bool
	// received lists the type of every response that changed what the
	// client holds (a new version, or other names), in order. Responses
	// repeating what it holds, as a late answer to a subscription change can,
	// are left out: tests need not wait for a stream to go quiet.
	received []string
	// seen are "<type> <name>" of every resource ever received.
	seen map[string]bool
}

func newSotwClient(t *testing.T, conn *grpc.ClientConn, n *corev3.Node, follow bool) *sotwClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	c := &sotwClient{
		t: t, node: n, stream: stream, follow: follow,
		responses: make(chan *discoveryv3.DiscoveryResponse, 64),
		done:      make(chan error, 1),
		state:     map[string]*typeState{},
		seen:      map[string]bool{},
	}
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				c.done <- err
				close(c.responses)
				return
			}
			c.responses <- r
		}
	}()
	t.Cleanup(func() {
		cancel()
		for range c.responses { // wait for the receiver to end
		}
	})
	return c
}

// syncedEnvoy connects proxy-1 of fleetA as Envoy does (state of the
// world, following the listeners' and clusters' references), subscribes to
// every cluster and listener, and handles responses until it holds res.
func syncedEnvoy(t *testing.T, ts *testServer, res *translator.Resources) *sotwClient {
	t.Helper()
	c := newSotwClient(t, dial(t, ts.addr, ts.clientTLS(t)), node("proxy-1", fleetA, "envoy"), true)
	c.subscribe(resourcev3.ClusterType, nil)
	c.subscribe(resourcev3.ListenerType, nil)
	want := byType(res)
	c.syncUntil(func() bool { return holds(c.typ2, want) })
	return c
}

func (c *sotwClient) typ(typeURL string) *typeState {
	s, ok := c.state[typeURL]
	if !ok {
		s = &typeState{resources: map[string]proto.Message{}}
		c.state[typeURL] = s
	}
	return s
}

// subscribe (re)sends the request of typeURL for names (nil: wildcard).
func (c *sotwClient) subscribe(typeURL string, names []string) {
	c.t.Helper()
	s := c.typ(typeURL)
	s.names, s.requested = names, true
	if names != nil { // resources no longer named are dropped
		s.resources = maps.Clone(s.resources)
		maps.DeleteFunc(s.resources, func(n string, _ proto.Message) bool { return !slices.Contains(names, n) })
	}
	c.send(typeURL, nil)
}

func (c *sotwClient) send(typeURL string, errDetail *status.Status) {
	c.t.Helper()
	s := c.typ(typeURL)
	req := &discoveryv3.DiscoveryRequest{
		Node:          c.node,
		TypeUrl:       typeURL,
		ResourceNames: s.names,
		VersionInfo:   s.version,
		ResponseNonce: s.nonce,
		ErrorDetail:   errDetail,
	}
	if err := c.stream.Send(req); err != nil {
		c.t.Fatalf("sending %s request: %v", typeURL, err)
	}
}

// recv returns the next response, or fails the test after waitTimeout.
func (c *sotwClient) recv() *discoveryv3.DiscoveryResponse {
	c.t.Helper()
	select {
	case r, ok := <-c.responses:
		if !ok {
			c.t.Fatalf("stream ended: %v", <-c.done)
		}
		return r
	case <-time.After(waitTimeout):
		c.t.Fatalf("no response within %s; state %s", waitTimeout, c.summary())
	}
	return nil
}

// handle stores r, ACKs it and, when following, updates the dependent
// subscriptions.
func (c *sotwClient) handle(r *discoveryv3.DiscoveryResponse) {
	c.t.Helper()
	s := c.typ(r.GetTypeUrl())
	oldVersion, oldNames := s.version, slices.Sorted(maps.Keys(s.resources))
	s.version, s.nonce = r.GetVersionInfo(), r.GetNonce()
	// Listeners and clusters come as the whole set; a response of another
	// type updates the resources it names, as Envoy applies it.
	if cachev3.ResourceRequiresFullStateInSotw(r.GetTypeUrl()) {
		s.resources = map[string]proto.Message{}
	} else {
		s.resources = maps.Clone(s.resources)
	}
	for _, a := range r.GetResources() {
		m := unpack(c.t, a)
		s.resources[resourceName(m)] = m
		c.seen[r.GetTypeUrl()+" "+resourceName(m)] = true
	}
	if s.version != oldVersion || !slices.Equal(oldNames, slices.Sorted(maps.Keys(s.resources))) {
		c.received = append(c.received, r.GetTypeUrl())
	}
	c.send(r.GetTypeUrl(), nil) // ACK
	if !c.follow {
		return
	}
	switch r.GetTypeUrl() {
	case resourcev3.ListenerType:
		routes, secrets := listenerRefs(c.t, s.resources)
		c.resubscribe(resourcev3.RouteType, routes)
		c.resubscribe(resourcev3.SecretType, secrets)
	case resourcev3.ClusterType:
		c.resubscribe(resourcev3.EndpointType, edsRefs(s.resources))
	}
}

func (c *sotwClient) resubscribe(typeURL string, names []string) {
	c.t.Helper()
	s := c.typ(typeURL)
	if s.requested && slices.Equal(s.names, names) {
		return
	}
	if len(names) == 0 && !s.requested {
		return
	}
	if names == nil {
		names = []string{} // not a wildcard: nothing
	}
	c.subscribe(typeURL, names)
}

// syncUntil handles responses until done holds.
func (c *sotwClient) syncUntil(done func() bool) {
	c.t.Helper()
	for !done() {
		c.handle(c.recv())
	}
}

// names returns the names held of typeURL, sorted.
func (c *sotwClient) names(typeURL string) []string {
	return slices.Sorted(maps.Keys(c.typ(typeURL).resources))
}

func (c *sotwClient) summary() string {
	out := ""
	for _, t := range []string{resourcev3.ListenerType, resourcev3.RouteType, resourcev3.ClusterType, resourcev3.EndpointType, resourcev3.SecretType} {
		out += fmt.Sprintf("%s=%v ", typeName(t), c.names(t))
	}
	return out
}

// deltaClient is a delta (incremental) ADS client following references the
// way Envoy does.
type deltaClient struct {
	t         *testing.T
	node      *corev3.Node
	stream    discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	responses chan *discoveryv3.DeltaDiscoveryResponse
	done      chan error
	// subscribed names per type (only for named types); held resources and
	// their versions per type.
	subscribed map[string][]string
	resources  map[string]map[string]proto.Message
	versions   map[string]map[string]string
	// received lists the type of every response that changed what the
	// client holds (new versions or removals), in order; see sotwClient.
	received []string
	// seen are "<type> <name>" of every resource ever received.
	seen map[string]bool
}

func newDeltaClient(t *testing.T, conn *grpc.ClientConn, n *corev3.Node) *deltaClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	c := &deltaClient{
		t: t, node: n, stream: stream,
		responses:  make(chan *discoveryv3.DeltaDiscoveryResponse, 64),
		done:       make(chan error, 1),
		subscribed: map[string][]string{},
		resources:  map[string]map[string]proto.Message{},
		versions:   map[string]map[string]string{},
		seen:       map[string]bool{},
	}
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				c.done <- err
				close(c.responses)
				return
			}
			c.responses <- r
		}
	}()
	t.Cleanup(func() {
		cancel()
		for range c.responses {
		}
	})
	return c
}

func (c *deltaClient) send(req *discoveryv3.DeltaDiscoveryRequest) {
	c.t.Helper()
	req.Node = c.node
	if err := c.stream.Send(req); err != nil {
		c.t.Fatalf("sending %s delta request: %v", req.GetTypeUrl(), err)
	}
}

// wildcard subscribes to every resource of typeURL.
func (c *deltaClient) wildcard(typeURL string) {
	c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL, ResourceNamesSubscribe: []string{"*"}})
}

// setSubscription subscribes to names of typeURL, unsubscribing from the rest.
func (c *deltaClient) setSubscription(typeURL string, names []string) {
	c.t.Helper()
	old := c.subscribed[typeURL]
	var add, remove []string
	for _, n := range names {
		if !slices.Contains(old, n) {
			add = append(add, n)
		}
	}
	for _, n := range old {
		if !slices.Contains(names, n) {
			remove = append(remove, n)
			delete(c.held(typeURL), n)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return
	}
	c.subscribed[typeURL] = names
	c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL, ResourceNamesSubscribe: add, ResourceNamesUnsubscribe: remove})
}

func (c *deltaClient) held(typeURL string) map[string]proto.Message {
	if c.resources[typeURL] == nil {
		c.resources[typeURL] = map[string]proto.Message{}
		c.versions[typeURL] = map[string]string{}
	}
	return c.resources[typeURL]
}

func (c *deltaClient) recv() *discoveryv3.DeltaDiscoveryResponse {
	c.t.Helper()
	select {
	case r, ok := <-c.responses:
		if !ok {
			c.t.Fatalf("stream ended: %v", <-c.done)
		}
		return r
	case <-time.After(waitTimeout):
		c.t.Fatalf("no delta response within %s; holding %v", waitTimeout, c.resources)
	}
	return nil
}

func (c *deltaClient) handle(r *discoveryv3.DeltaDiscoveryResponse) {
	c.t.Helper()
	typeURL := r.GetTypeUrl()
	held := c.held(typeURL)
	changed := false
	for _, res := range r.GetResources() {
		m := unpack(c.t, res.GetResource())
		held[res.GetName()] = m
		changed = changed || c.versions[typeURL][res.GetName()] != res.GetVersion()
		c.versions[typeURL][res.GetName()] = res.GetVersion()
		c.seen[typeURL+" "+res.GetName()] = true
	}
	for _, name := range r.GetRemovedResources() {
		_, had := held[name]
		changed = changed || had
		delete(held, name)
		delete(c.versions[typeURL], name)
	}
	if changed {
		c.received = append(c.received, typeURL)
	}
	c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL, ResponseNonce: r.GetNonce()}) // ACK
	switch typeURL {
	case resourcev3.ListenerType:
		routes, secrets := listenerRefs(c.t, held)
		c.setSubscription(resourcev3.RouteType, routes)
		c.setSubscription(resourcev3.SecretType, secrets)
	case resourcev3.ClusterType:
		c.setSubscription(resourcev3.EndpointType, edsRefs(held))
	}
}

func (c *deltaClient) syncUntil(done func() bool) {
	c.t.Helper()
	for !done() {
		c.handle(c.recv())
	}
}

func (c *deltaClient) names(typeURL string) []string {
	return slices.Sorted(maps.Keys(c.held(typeURL)))
}

func unpack(t *testing.T, a *anypb.Any) proto.Message {
	t.Helper()
	m, err := a.UnmarshalNew()
	if err != nil {
		t.Fatalf("unpacking %s: %v", a.GetTypeUrl(), err)
	}
	return m
}

func resourceName(m proto.Message) string {
	switch r := m.(type) {
	case interface{ GetClusterName() string }:
		return r.GetClusterName()
	case interface{ GetName() string }:
		return r.GetName()
	}
	return ""
}

// listenerRefs returns the route configurations and secrets the listeners
// refer to, sorted.
func listenerRefs(t *testing.T, listeners map[string]proto.Message) (routes, secrets []string) {
	t.Helper()
	rs, ss := map[string]bool{}, map[string]bool{}
	for _, m := range listeners {
		for _, fc := range m.(*listenerv3.Listener).GetFilterChains() {
			for _, f := range fc.GetFilters() {
				hcm := &hcmv3.HttpConnectionManager{}
				if f.GetTypedConfig().MessageIs(hcm) {
					if err := f.GetTypedConfig().UnmarshalTo(hcm); err != nil {
						t.Fatal(err)
					}
					rs[hcm.GetRds().GetRouteConfigName()] = true
				}
			}
			if ts := fc.GetTransportSocket(); ts != nil {
				ctx := &tlsv3.DownstreamTlsContext{}
				if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
					t.Fatal(err)
				}
				for _, sds := range ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
					ss[sds.GetName()] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(rs)), slices.Sorted(maps.Keys(ss))
}

// edsRefs returns the names of the EDS clusters, sorted.
func edsRefs(clusters map[string]proto.Message) []string {
	var out []string
	for name, m := range clusters {
		if m.(*clusterv3.Cluster).GetType() == clusterv3.Cluster_EDS {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func typeName(typeURL string) string {
	for i := len(typeURL) - 1; i >= 0; i-- {
		if typeURL[i] == '.' {
			return typeURL[i+1:]
		}
	}
	return typeURL
}

// expectSilence fails if a response arrives within d.
func (c *sotwClient) expectSilence(d time.Duration) {
	c.t.Helper()
	select {
	case r, ok := <-c.responses:
		if ok {
			c.t.Fatalf("unexpected %s response version %q", r.GetTypeUrl(), r.GetVersionInfo())
		}
		c.t.Fatalf("stream ended: %v", <-c.done)
	case <-time.After(d):
	}
}
