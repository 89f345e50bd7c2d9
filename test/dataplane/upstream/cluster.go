package upstream

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"github.com/go-logr/logr"

	"github.com/envoygw/envoy-gateway/test/dataplane/tlssock"
)

// Envoy's cluster defaults.
const (
	defaultConnectTimeout = 5 * time.Second
	defaultDNSRefresh     = 5 * time.Second
	// DefaultInitialFetchTimeout is a config source's initial_fetch_timeout
	// when unset.
	DefaultInitialFetchTimeout = 15 * time.Second
)

// Resolver resolves hostnames (net.DefaultResolver satisfies it).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Env is what clusters need from the proxy.
type Env struct {
	ReadFile tlssock.ReadFile
	Resolver Resolver
	Logger   logr.Logger
}

// Discovery is a cluster's discovery type.
type Discovery int

// Discovery types.
const (
	Static Discovery = iota
	StrictDNS
	EDS
)

// Cluster is a compiled Cluster resource and its live hosts.
type Cluster struct {
	// Name is the cluster name; EDSName the ClusterLoadAssignment it
	// takes (EDS clusters only).
	Name    string
	EDSName string
	// Proto is the resource it was compiled from.
	Proto     *clusterv3.Cluster
	Discovery Discovery

	connectTimeout time.Duration
	fetchTimeout   time.Duration
	protocol       protocol
	tls            *tlssock.Client
	dns            dnsConfig
	endpoints      []endpointSpec // STATIC and STRICT_DNS
	env            Env

	hosts     atomic.Pointer[hostSet]
	ready     chan struct{}
	readyOnce sync.Once
	stop      context.CancelFunc
	done      chan struct{} // closed when the discovery goroutine ended
	stopped   chan struct{} // closed by Stop
	stopOnce  sync.Once
	transport *transport
}

// Compile validates a Cluster with Envoy's semantics (after package
// strict accepted its fields) and returns it, not started.
func Compile(c *clusterv3.Cluster, env Env) (*Cluster, error) {
	out := &Cluster{
		Name: c.GetName(), Proto: c, env: env,
		connectTimeout: defaultConnectTimeout, fetchTimeout: DefaultInitialFetchTimeout,
		ready: make(chan struct{}), done: make(chan struct{}), stopped: make(chan struct{}),
	}
	if d := c.GetConnectTimeout(); d != nil {
		out.connectTimeout = d.AsDuration()
	}
	if err := out.compileDiscovery(c); err != nil {
		return nil, err
	}
	if err := out.compileProtocol(c); err != nil {
		return nil, err
	}
	if ts := c.GetTransportSocket(); ts != nil {
		ctx := &tlsv3.UpstreamTlsContext{}
		if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
			return nil, fmt.Errorf("transport_socket.typed_config: invalid: a cluster takes an UpstreamTlsContext: %w", err)
		}
		tc, err := tlssock.NewClient(ctx, env.ReadFile,
			"transport_socket.typed_config.(envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext)")
		if err != nil {
			return nil, err
		}
		out.tls = tc
	}
	out.transport = newTransport(out)
	return out, nil
}

func (c *Cluster) compileDiscovery(pc *clusterv3.Cluster) error {
	switch pc.GetType() {
	case clusterv3.Cluster_EDS:
		c.Discovery = EDS
		eds := pc.GetEdsClusterConfig()
		if eds.GetEdsConfig().GetAds() == nil {
			return fmt.Errorf("eds_cluster_config.eds_config: invalid: an EDS cluster needs an ADS config source " +
				"(the only one implemented by the test data plane)")
		}
		if pc.GetLoadAssignment() != nil {
			return fmt.Errorf("load_assignment: not implemented by the test data plane for EDS clusters")
		}
		c.EDSName = c.Name
		if n := eds.GetServiceName(); n != "" {
			c.EDSName = n
		}
		if t := eds.GetEdsConfig().GetInitialFetchTimeout(); t != nil {
			c.fetchTimeout = t.AsDuration()
		}
		return nil
	case clusterv3.Cluster_STATIC, clusterv3.Cluster_STRICT_DNS:
		if pc.GetEdsClusterConfig() != nil {
			return fmt.Errorf("eds_cluster_config: invalid for a %s cluster", pc.GetType())
		}
		static := pc.GetType() == clusterv3.Cluster_STATIC
		specs, err := parseAssignment(pc.GetLoadAssignment(), static, "load_assignment.")
		if err != nil {
			return err
		}
		c.endpoints = specs
		if static {
			c.Discovery = Static
			return nil
		}
		c.Discovery = StrictDNS
		c.dns = dnsConfig{family: pc.GetDnsLookupFamily(), refresh: defaultDNSRefresh}
		return nil
	}
	return fmt.Errorf("type: %s is not implemented by the test data plane", pc.GetType())
}

func (c *Cluster) compileProtocol(pc *clusterv3.Cluster) error {
	c.protocol = protocol{}
	a, ok := pc.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
	if !ok {
		return nil
	}
	opts := &httpv3.HttpProtocolOptions{}
	if err := a.UnmarshalTo(opts); err != nil {
		return fmt.Errorf("typed_extension_protocol_options: %w", err)
	}
	explicit := opts.GetExplicitHttpConfig()
	if explicit == nil {
		return fmt.Errorf("typed_extension_protocol_options[%q]: upstream_protocol_options: "+
			"only explicit_http_config is implemented by the test data plane",
			"envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
	}
	if h2 := explicit.GetHttp2ProtocolOptions(); h2 != nil {
		c.protocol.http2 = true
		c.protocol.pingInterval = h2.GetConnectionKeepalive().GetInterval().AsDuration()
		c.protocol.pingTimeout = h2.GetConnectionKeepalive().GetTimeout().AsDuration()
	}
	return nil
}

// HTTP2 reports whether the cluster speaks HTTP/2 upstream.
func (c *Cluster) HTTP2() bool { return c.protocol.http2 }

// ConnectTimeout is the cluster's connect_timeout.
func (c *Cluster) ConnectTimeout() time.Duration { return c.connectTimeout }

// Start begins the cluster's discovery: STATIC clusters are initialized at
// once, STRICT_DNS ones start resolving, EDS ones wait for SetAssignment
// (or their initial fetch timeout).
func (c *Cluster) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	switch c.Discovery {
	case Static:
		c.setHosts(hostsOf(c.endpoints))
		close(c.done)
	case StrictDNS:
		go func() { defer close(c.done); c.resolveLoop(ctx) }()
	case EDS:
		go func() {
			defer close(c.done)
			if c.fetchTimeout <= 0 {
				return
			}
			t := time.NewTimer(c.fetchTimeout)
			defer t.Stop()
			select {
			case <-t.C:
				c.env.Logger.Info("EDS initial fetch timed out; the cluster warms without hosts", "cluster", c.Name)
				c.markReady()
			case <-c.ready:
			case <-ctx.Done():
			}
		}()
	}
}

// Stop ends the cluster's discovery and closes its idle connections; in
// flight requests finish.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		close(c.stopped)
		if c.stop != nil {
			c.stop()
			<-c.done
		}
		c.transport.closeIdle()
	})
}

// Ready is closed once the cluster is initialized (warmed).
func (c *Cluster) Ready() <-chan struct{} { return c.ready }

func (c *Cluster) markReady() { c.readyOnce.Do(func() { close(c.ready) }) }

// setHosts replaces the hosts and marks the cluster initialized.
func (c *Cluster) setHosts(hosts []*Host) {
	c.hosts.Store(newHostSet(hosts))
	c.markReady()
}

// SetAssignment applies an (already validated) assignment of an EDS
// cluster.
func (c *Cluster) SetAssignment(a *Assignment) { c.setHosts(a.hosts) }

// Hosts returns the current hosts.
func (c *Cluster) Hosts() []*Host {
	if s := c.hosts.Load(); s != nil {
		return append([]*Host(nil), s.all...)
	}
	return nil
}

// Pick chooses a host for a request or connection.
func (c *Cluster) Pick() (*Host, error) {
	s := c.hosts.Load()
	if s == nil {
		return nil, ErrNoHealthyUpstream
	}
	return s.pick()
}

// HTTP2Windows are the HTTP/2 receive windows the cluster's connections
// advertise, per stream and per connection: Envoy's defaults (16 MiB and
// 24 MiB), the strict walker admitting no initial_stream_window_size or
// initial_connection_window_size.
func (c *Cluster) HTTP2Windows() (stream, connection int32) {
	return 16 << 20, 24 << 20
}

// Keepalive is the HTTP/2 keepalive ping interval and timeout (zero: no
// pings).
func (c *Cluster) Keepalive() (interval, timeout time.Duration) {
	return c.protocol.pingInterval, c.protocol.pingTimeout
}
