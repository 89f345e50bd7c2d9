package dataplane

import (
	"context"
	"fmt"
	"net"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
)

// grpcConns are the gRPC connections of the HTTP filters' envoy_grpc
// services (the rate limit service), one per cluster, made on first use.
// Each connection dials a host of the cluster as the cluster manager has it
// at that moment, through the cluster's transport socket.
type grpcConns struct {
	clusters *upstream.Manager

	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	closed bool
}

func newGRPCConns(clusters *upstream.Manager) *grpcConns {
	return &grpcConns{clusters: clusters, conns: map[string]*grpc.ClientConn{}}
}

// get returns the connection to a cluster. A cluster that does not
// exist (or not yet) fails the calls made on it, as Envoy's async client.
func (g *grpcConns) get(cluster string) grpc.ClientConnInterface {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return failingConn{err: fmt.Errorf("the proxy is stopping")}
	}
	if c := g.conns[cluster]; c != nil {
		return c
	}
	conn, err := grpc.NewClient("passthrough:///"+cluster,
		grpc.WithTransportCredentials(insecure.NewCredentials()), // TLS, when configured, is the cluster's
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			c := g.clusters.Get(cluster)
			if c == nil {
				return nil, fmt.Errorf("cluster %q not found", cluster)
			}
			h, err := c.Pick()
			if err != nil {
				return nil, err
			}
			return c.DialTCP(ctx, h)
		}))
	if err != nil {
		return failingConn{err: err}
	}
	g.conns[cluster] = conn
	return conn
}

// close closes every connection; later calls fail.
func (g *grpcConns) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	for _, c := range g.conns {
		_ = c.Close()
	}
	g.conns = nil
}

// failingConn fails every call with err.
type failingConn struct{ err error }

func (f failingConn) Invoke(context.Context, string, any, any, ...grpc.CallOption) error {
	return f.err
}

func (f failingConn) NewStream(context.Context, *grpc.StreamDesc, string,
	...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, f.err
}
