package xdsclient

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/go-logr/logr"
	"google.golang.org/grpc"
)

// Envoy's defaults for re-establishing an xDS stream.
const (
	DefaultInitialBackoff = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
)

// Options configure a Client.
type Options struct {
	// Node identifies the proxy; it is sent on the first request of each
	// stream.
	Node *corev3.Node
	// Conn is the gRPC connection to the xDS server.
	Conn grpc.ClientConnInterface
	// Handlers apply the responses, by type URL. A response of a type
	// without handler or subscription is ignored (Envoy ignores unwatched
	// types too).
	Handlers map[string]Handler
	// InitialBackoff and MaxBackoff bound the jittered exponential backoff
	// between streams; zero means Envoy's defaults.
	InitialBackoff, MaxBackoff time.Duration
	Logger                     logr.Logger
}

// Client is an ADS client. Create it with New, subscribe, then Run it.
type Client struct {
	opts Options

	mu    sync.Mutex
	subs  map[string]*subscription
	order []string // type URLs in first-subscription order
	// queue holds the types whose request must be sent, in order.
	queue []string
	wake  chan struct{}
}

// subscription is what the client holds of one type.
type subscription struct {
	wildcard bool
	names    []string // sorted, unique; unused when wildcard
	version  string   // last accepted version_info
	nonce    string   // last nonce received on the current stream
	// nack is the error of the last response, to send with the next
	// request of the type (then cleared).
	nack error
}

// New returns a client; it does nothing until Run.
func New(opts Options) *Client {
	if opts.InitialBackoff <= 0 {
		opts.InitialBackoff = DefaultInitialBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	return &Client{opts: opts, subs: map[string]*subscription{}, wake: make(chan struct{}, 1)}
}

// SubscribeWildcard subscribes to every resource of a type (LDS, CDS).
func (c *Client) SubscribeWildcard(typeURL string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sub(typeURL)
	if s.wildcard {
		return
	}
	s.wildcard, s.names = true, nil
	c.enqueue(typeURL)
}

// Subscribe sets the names subscribed to for a type (RDS, EDS, SDS). A
// change is sent at once; an unchanged set sends nothing. An empty set
// sends nothing either (in state of the world an empty list would mean
// every resource): responses naming resources nobody wants are ignored by
// the handlers.
func (c *Client) Subscribe(typeURL string, names []string) {
	names = slices.Clone(names)
	slices.Sort(names)
	names = slices.Compact(names)
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sub(typeURL)
	if !s.wildcard && slices.Equal(s.names, names) {
		return
	}
	s.wildcard, s.names = false, names
	c.enqueue(typeURL)
}

// Version returns the last accepted version of a type.
func (c *Client) Version(typeURL string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.subs[typeURL]; s != nil {
		return s.version
	}
	return ""
}

func (c *Client) sub(typeURL string) *subscription {
	s := c.subs[typeURL]
	if s == nil {
		s = &subscription{}
		c.subs[typeURL] = s
		c.order = append(c.order, typeURL)
	}
	return s
}

// enqueue schedules a request of the type; c.mu is held.
func (c *Client) enqueue(typeURL string) {
	if !slices.Contains(c.queue, typeURL) {
		c.queue = append(c.queue, typeURL)
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run keeps an ADS stream open until ctx is done, reconnecting with
// backoff. It returns when ctx is done and every goroutine it started has
// ended.
func (c *Client) Run(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		established, err := c.runStream(ctx)
		if ctx.Err() != nil {
			return
		}
		if established {
			attempt = 0
		}
		delay := c.backoff(attempt)
		attempt++
		c.opts.Logger.Info("xDS stream closed; reconnecting", "error", errString(err), "in", delay.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// backoff is Envoy's JitteredExponentialBackOffStrategy: a random delay
// below min(initial * 2^attempt, max).
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.opts.MaxBackoff
	if attempt < 32 {
		ceiling = min(c.opts.InitialBackoff<<attempt, c.opts.MaxBackoff)
	}
	return time.Duration(rand.Int64N(int64(ceiling))) + time.Millisecond
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// errStreamDone ends a stream on purpose.
var errStreamDone = errors.New("stream closed")

// fmtNACK renders a handler error as Envoy does: the message truncated to
// 4096 bytes.
func fmtNACK(err error) string {
	const limit = 4096
	msg := err.Error()
	if len(msg) > limit {
		msg = msg[:limit] + fmt.Sprintf("...(truncated %d bytes)", len(msg)-limit)
	}
	return msg
}
