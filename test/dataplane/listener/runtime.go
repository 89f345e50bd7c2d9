package listener

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"

	"github.com/envoygw/envoy-gateway/test/dataplane/hcm"
	"github.com/envoygw/envoy-gateway/test/dataplane/tcpproxy"
)

// runtime serves the connections of one filter chain of an active
// listener: an HTTP connection manager server, or tcp_proxy connections.
type runtime struct {
	c      *chain
	server *hcm.Server

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
	deps   Deps
}

func newRuntime(c *chain, l *Listener, deps Deps) *runtime {
	ctx, cancel := context.WithCancel(context.Background())
	rt := &runtime{c: c, ctx: ctx, cancel: cancel, deps: deps}
	if c.hcm != nil {
		hd := deps.HCM
		hd.BufferLimit = l.bufferLimit
		log := deps.Logger.WithValues("listener", l.Name, "chain", c.name)
		rt.server = hcm.NewServer(hcm.NewHandler(c.hcm, hd), c.tls != nil, log)
	}
	return rt
}

// serve takes a matched connection: TLS is terminated when the chain has
// a transport socket, then the connection goes to the chain's filter. It
// returns false (the caller closes conn) when the runtime is closed.
func (rt *runtime) serve(conn net.Conn) bool {
	if rt.c.tls != nil {
		conn = tls.Server(conn, rt.c.tls.Config())
	}
	if rt.server != nil {
		return rt.server.Serve(conn)
	}
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return false
	}
	rt.wg.Add(1)
	rt.mu.Unlock()
	go func() {
		defer rt.wg.Done()
		rt.c.tcp.Serve(rt.ctx, conn, tcpproxy.Deps{Clusters: rt.deps.HCM.Clusters, Logger: rt.deps.Logger})
	}()
	return true
}

// drain stops taking connections and lets the open ones finish for up
// to drainTime, then closes them.
func (rt *runtime) drain(drainTime time.Duration) {
	if rt.server != nil {
		rt.server.Drain(drainTime)
		return
	}
	rt.mu.Lock()
	rt.closed = true
	rt.mu.Unlock()
	done := make(chan struct{})
	go func() { rt.wg.Wait(); close(done) }()
	t := time.NewTimer(drainTime)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	rt.close()
}

// close closes every connection at once.
func (rt *runtime) close() {
	if rt.server != nil {
		rt.server.Close()
		return
	}
	rt.mu.Lock()
	rt.closed = true
	rt.mu.Unlock()
	rt.cancel()
	rt.wg.Wait()
}
