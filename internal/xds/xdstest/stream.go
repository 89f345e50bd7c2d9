package xdstest

import (
	"context"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
)

// link is what both clients hold of their ADS stream: the connection, the
// stream's context, and the receiver's end.
type link struct {
	conn   *grpc.ClientConn
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// openLink dials addr and opens one ADS stream with open. On failure it
// releases the connection and the context.
func openLink[S any](addr string, opts Options, open func(context.Context, discoveryv3.AggregatedDiscoveryServiceClient) (S, error)) (*link, S, error) {
	var stream S
	conn, err := opts.dial(addr)
	if err != nil {
		return nil, stream, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	stream, err = open(ctx, discoveryv3.NewAggregatedDiscoveryServiceClient(conn))
	if err != nil {
		cancel()
		_ = conn.Close()
		return nil, stream, err
	}
	return &link{conn: conn, ctx: ctx, cancel: cancel, done: make(chan struct{})}, stream, nil
}

// Close ends the stream and the connection and waits for the receiver.
func (l *link) Close() {
	l.cancel()
	<-l.done
	_ = l.conn.Close()
}

// receiveUntilError hands each response recv returns to handle until one
// of them fails, reports that error to fail, and then marks the receiver
// done.
func receiveUntilError[R any](l *link, recv func() (R, error), handle func(R, time.Time) error, fail func(error)) {
	defer close(l.done)
	for {
		r, err := recv()
		if err == nil {
			err = handle(r, time.Now())
		}
		if err != nil {
			fail(err)
			return
		}
	}
}
