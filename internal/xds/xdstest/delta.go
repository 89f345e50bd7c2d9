package xdstest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// DeltaClient is a running incremental (delta) ADS client: it subscribes to
// every listener and cluster (wildcard), then to the routes, secrets and
// endpoints they name, applies each response's resources and removals to
// what it holds, and ACKs it.
type DeltaClient struct {
	*store
	*link
	stream discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	node   *corev3.Node
	// first is set until the first request, which carries the node.
	first bool
}

// DialDelta connects to addr and starts following the configuration of
// opts.Fleet over delta xDS. Close stops it.
func DialDelta(addr string, opts Options) (*DeltaClient, error) {
	l, stream, err := openLink(addr, opts, func(ctx context.Context, ads discoveryv3.AggregatedDiscoveryServiceClient) (discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesClient, error) {
		return ads.DeltaAggregatedResources(ctx)
	})
	if err != nil {
		return nil, err
	}
	c := &DeltaClient{
		store: newStore(), link: l, stream: stream,
		node: opts.node("xdstest-delta"), first: true,
	}
	for _, t := range []string{resourcev3.ClusterType, resourcev3.ListenerType} {
		c.typ(t).requested = true
		// No names on the first request of a type: a wildcard subscription.
		if err := c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: t}); err != nil {
			c.Close()
			return nil, err
		}
	}
	go c.receive()
	return c, nil
}

func (c *DeltaClient) receive() {
	receiveUntilError(c.link, c.stream.Recv, c.handle, c.fail)
}

// handle applies a response received at at to the resources held, ACKs it
// and follows the names the new resources refer to.
func (c *DeltaClient) handle(r *discoveryv3.DeltaDiscoveryResponse, at time.Time) error {
	typeURL := r.GetTypeUrl()
	c.mu.Lock()
	resources := maps.Clone(c.typ(typeURL).resources)
	c.mu.Unlock()
	for _, res := range r.GetResources() {
		m, err := res.GetResource().UnmarshalNew()
		if err != nil {
			return fmt.Errorf("decoding %s %q: %w", typeURL, res.GetName(), err)
		}
		resources[res.GetName()] = m
	}
	for _, name := range r.GetRemovedResources() {
		delete(resources, name)
	}
	c.updated(typeURL, r.GetSystemVersionInfo(), r.GetNonce(), resources, at)
	if err := c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL, ResponseNonce: r.GetNonce()}); err != nil {
		return err
	}
	var errs []error
	for ref, names := range refsOf(typeURL, resources) {
		errs = append(errs, c.follow(ref, names))
	}
	return errors.Join(errs...)
}

// follow subscribes typeURL to the names it does not follow yet and
// unsubscribes it from those no longer named, dropping their resources.
func (c *DeltaClient) follow(typeURL string, names []string) error {
	c.mu.Lock()
	s := c.typ(typeURL)
	subscribe := without(names, s.names)
	unsubscribe := without(s.names, names)
	if len(subscribe) == 0 && len(unsubscribe) == 0 {
		c.mu.Unlock()
		return nil
	}
	s.names, s.requested = names, true
	if len(unsubscribe) > 0 {
		kept := maps.Clone(s.resources)
		for _, n := range unsubscribe {
			delete(kept, n)
		}
		s.resources = kept
	}
	c.mu.Unlock()
	return c.send(&discoveryv3.DeltaDiscoveryRequest{
		TypeUrl: typeURL, ResourceNamesSubscribe: subscribe, ResourceNamesUnsubscribe: unsubscribe,
	})
}

// without returns the names of a that b does not hold.
func without(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, n := range b {
		in[n] = true
	}
	var out []string
	for _, n := range a {
		if !in[n] {
			out = append(out, n)
		}
	}
	return out
}

// send sends a request, with the node on the stream's first one. Only the
// goroutine that owns the stream (Dial, then the receiver) sends.
func (c *DeltaClient) send(req *discoveryv3.DeltaDiscoveryRequest) error {
	if c.first {
		req.Node, c.first = c.node, false
	}
	return c.stream.Send(req)
}
