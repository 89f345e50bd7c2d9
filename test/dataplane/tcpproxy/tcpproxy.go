package tcpproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"

	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/go-logr/logr"

	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
)

// Config is a compiled TcpProxy.
type Config struct {
	StatPrefix string
	clusters   []weighted
	total      uint64
}

type weighted struct {
	name   string
	weight uint64
}

// Compile validates a TcpProxy (whose fields package strict accepted).
func Compile(p *tcpproxyv3.TcpProxy, path string) (*Config, error) {
	c := &Config{StatPrefix: p.GetStatPrefix()}
	switch s := p.GetClusterSpecifier().(type) {
	case *tcpproxyv3.TcpProxy_Cluster:
		c.clusters = []weighted{{name: s.Cluster, weight: 1}}
	case *tcpproxyv3.TcpProxy_WeightedClusters:
		for i, w := range s.WeightedClusters.GetClusters() {
			if w.GetWeight() == 0 {
				return nil, fmt.Errorf("%s.weighted_clusters.clusters[%d].weight: invalid: must be at least 1", path, i)
			}
			c.clusters = append(c.clusters, weighted{name: w.GetName(), weight: uint64(w.GetWeight())})
		}
	default:
		return nil, fmt.Errorf("%s: invalid: no cluster or weighted_clusters", path)
	}
	for _, w := range c.clusters {
		c.total += w.weight
	}
	if c.total == 0 {
		return nil, fmt.Errorf("%s.weighted_clusters: invalid: no cluster", path)
	}
	return c, nil
}

// pick chooses the cluster of a connection by weight.
func (c *Config) pick() string {
	r := rand.Uint64N(c.total)
	for _, w := range c.clusters {
		if r < w.weight {
			return w.name
		}
		r -= w.weight
	}
	return c.clusters[len(c.clusters)-1].name
}

// Deps is what tcp_proxy needs from the proxy.
type Deps struct {
	// Clusters returns the active cluster of that name, or nil.
	Clusters func(name string) *upstream.Cluster
	Logger   logr.Logger
}

// Serve proxies one downstream connection until both directions ended
// or ctx is done; it closes conn.
func (c *Config) Serve(ctx context.Context, conn net.Conn, deps Deps) {
	log := deps.Logger
	defer func() { _ = conn.Close() }()
	name := c.pick()
	cl := deps.Clusters(name)
	if cl == nil {
		log.V(1).Info("tcp_proxy: no such cluster; closing", "cluster", name)
		return
	}
	host, err := cl.Pick()
	if err != nil {
		log.V(1).Info("tcp_proxy: no healthy upstream; closing", "cluster", name)
		return
	}
	up, err := cl.DialTCP(ctx, host)
	if err != nil {
		log.V(1).Info("tcp_proxy: connect failed; closing", "cluster", name, "error", err.Error())
		return
	}
	defer func() { _ = up.Close() }()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close(); _ = up.Close() })
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { pipe(up, conn) })
	pipe(conn, up)
	wg.Wait()
}

// pipe copies src to dst, then half-closes dst's write side (or closes
// it when it cannot half-close).
func pipe(dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	type closeWriter interface{ CloseWrite() error }
	if cw, ok := dst.(closeWriter); ok && (err == nil || errors.Is(err, io.EOF)) {
		_ = cw.CloseWrite()
		return
	}
	_ = dst.Close()
	_ = src.Close()
}
