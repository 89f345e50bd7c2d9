package xdsclient

import (
	"context"
	"fmt"
	"slices"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// runStream runs one ADS stream until it breaks or ctx is done. It
// reports whether a response was received (Envoy resets its backoff then).
func (c *Client) runStream(ctx context.Context) (established bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(errStreamDone)
	ads := discoveryv3.NewAggregatedDiscoveryServiceClient(c.opts.Conn)
	stream, err := ads.StreamAggregatedResources(ctx)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	c.queue = c.queue[:0]
	for _, t := range c.order {
		c.subs[t].nonce = ""
		c.enqueue(t)
	}
	c.mu.Unlock()

	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.sendLoop(ctx, stream); err != nil {
			cancel(err)
		}
	})
	defer wg.Wait()
	for {
		resp, err := stream.Recv()
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
				err = fmt.Errorf("%w (%v)", err, cause)
			}
			cancel(err)
			return established, err
		}
		established = true
		c.handle(resp)
	}
}

// sendLoop sends the queued requests until ctx is done.
func (c *Client) sendLoop(ctx context.Context, stream adsStream) error {
	first := true
	for {
		for {
			req := c.next(first)
			if req == nil {
				break
			}
			first = false
			if err := stream.Send(req); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
		}
	}
}

type adsStream = discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient

// next pops the next request to send, or nil. The node goes on the first
// request of the stream.
func (c *Client) next(first bool) *discoveryv3.DiscoveryRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) > 0 {
		t := c.queue[0]
		c.queue = c.queue[1:]
		s := c.subs[t]
		if !s.wildcard && len(s.names) == 0 && s.nack == nil {
			continue
		}
		req := &discoveryv3.DiscoveryRequest{
			TypeUrl:       t,
			VersionInfo:   s.version,
			ResponseNonce: s.nonce,
			ResourceNames: slices.Clone(s.names),
		}
		if s.nack != nil {
			req.ErrorDetail = &status.Status{Code: int32(codes.Internal), Message: fmtNACK(s.nack)}
			s.nack = nil
		}
		if first {
			req.Node = proto.Clone(c.opts.Node).(*corev3.Node)
		}
		return req
	}
	return nil
}

// handle decodes and applies one response, then queues its ACK or NACK
// (after the requests the handler's new subscriptions queued).
func (c *Client) handle(resp *discoveryv3.DiscoveryResponse) {
	t := resp.GetTypeUrl()
	c.mu.Lock()
	s, watched := c.subs[t]
	h := c.opts.Handlers[t]
	if watched {
		s.nonce = resp.GetNonce()
	}
	c.mu.Unlock()
	if !watched || h == nil {
		c.opts.Logger.Info("ignoring a response of an unwatched type", "type", t)
		return
	}
	u, err := decode(resp)
	if err == nil {
		err = h.OnUpdate(u)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.opts.Logger.Info("rejecting xDS response", "type", t, "version", resp.GetVersionInfo(), "error", err.Error())
		s.nack = err
	} else {
		s.version = resp.GetVersionInfo()
		s.nack = nil
	}
	c.enqueue(t)
}

// decode unpacks every resource of a response: each must be of the
// response's type and names must be unique.
func decode(resp *discoveryv3.DiscoveryResponse) (Update, error) {
	u := Update{TypeURL: resp.GetTypeUrl(), Version: resp.GetVersionInfo()}
	seen := map[string]bool{}
	for i, a := range resp.GetResources() {
		if a.GetTypeUrl() != u.TypeURL {
			return u, fmt.Errorf("resource %d has type %s in a %s response", i, a.GetTypeUrl(), u.TypeURL)
		}
		m, err := a.UnmarshalNew()
		if err != nil {
			return u, fmt.Errorf("resource %d: %w", i, err)
		}
		name, err := resourceName(m)
		if err != nil {
			return u, fmt.Errorf("resource %d: %w", i, err)
		}
		if seen[name] {
			return u, fmt.Errorf("duplicate resource %q in the response", name)
		}
		seen[name] = true
		u.Resources = append(u.Resources, Resource{Name: name, Msg: m})
	}
	return u, nil
}
