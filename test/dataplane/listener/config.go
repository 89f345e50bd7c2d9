package listener

import (
	"fmt"
	"net/netip"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/envoygw/envoy-gateway/test/dataplane/hcm"
	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
	"github.com/envoygw/envoy-gateway/test/dataplane/tcpproxy"
	"github.com/envoygw/envoy-gateway/test/dataplane/tlssock"
)

// Listener is a compiled Listener resource (one version of it).
type Listener struct {
	Name  string
	Proto *listenerv3.Listener
	// Addr is the address the socket is bound to (after the PodIP mapping).
	Addr        netip.AddrPort
	inspector   bool
	bufferLimit int
	chains      []*chain
	fallback    *chain // default_filter_chain

	created     time.Time
	warmTimeout time.Duration // 0: wait for RDS/SDS forever
	socket      *socket
	runtimes    map[*chain]*runtime
}

// chain is a compiled FilterChain.
type chain struct {
	name     string
	fallback bool // the listener's default_filter_chain
	proto    *listenerv3.FilterChain
	match    chainMatch
	hcm      *hcm.Config
	tcp      *tcpproxy.Config
	tls      *tlssock.Server
	routes   []string
	secrets  []string
}

// CompileEnv is what compiling a listener needs.
type CompileEnv struct {
	// PodIP replaces the wildcard and loopback addresses listeners bind.
	PodIP    netip.Addr
	Secrets  tlssock.Secrets
	ReadFile tlssock.ReadFile
}

// Compile validates a Listener (whose fields package strict accepted)
// with Envoy's semantics.
func Compile(pl *listenerv3.Listener, env CompileEnv) (*Listener, error) {
	l := &Listener{Name: pl.GetName(), Proto: pl, bufferLimit: hcm.DefaultBufferLimit, created: time.Now()}
	sa := pl.GetAddress().GetSocketAddress()
	if sa == nil {
		return nil, fmt.Errorf("address: invalid: address is necessary (a socket address)")
	}
	ip, err := netip.ParseAddr(sa.GetAddress())
	if err != nil || ip.Zone() != "" {
		return nil, fmt.Errorf("address.socket_address.address: malformed IP address: %s", sa.GetAddress())
	}
	l.Addr = netip.AddrPortFrom(mapAddr(ip, env.PodIP), uint16(sa.GetPortValue()))
	if v := pl.GetPerConnectionBufferLimitBytes(); v != nil {
		l.bufferLimit = int(v.GetValue())
	}
	for i, f := range pl.GetListenerFilters() {
		if f.GetName() != strict.TLSInspectorName || l.inspector {
			return nil, fmt.Errorf("listener_filters[%d]: not implemented by the test data plane: %q", i, f.GetName())
		}
		l.inspector = true
	}
	if len(pl.GetFilterChains()) == 0 && pl.GetDefaultFilterChain() == nil {
		return nil, fmt.Errorf("filter_chains: invalid: no filter chains specified")
	}
	if err := l.compileChains(pl, env); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Listener) compileChains(pl *listenerv3.Listener, env CompileEnv) error {
	names := map[string]bool{}
	claimed := map[string]string{}
	for i, fc := range pl.GetFilterChains() {
		path := fmt.Sprintf("filter_chains[%d]", i)
		c, err := compileChain(fc, env, path)
		if err != nil {
			return err
		}
		if c.name != "" && names[c.name] {
			return fmt.Errorf("%s.name: invalid: duplicate filter chain name %q", path, c.name)
		}
		names[c.name] = true
		for _, k := range c.match.keys() {
			if other, ok := claimed[k]; ok {
				return fmt.Errorf("%s.filter_chain_match: invalid: multiple filter chains with the same matching rules "+
					"are defined (%s and %s)", path, other, path)
			}
			claimed[k] = path
		}
		l.chains = append(l.chains, c)
	}
	if d := pl.GetDefaultFilterChain(); d != nil {
		if d.GetFilterChainMatch() != nil {
			return fmt.Errorf("default_filter_chain.filter_chain_match: invalid: the default filter chain has no match")
		}
		c, err := compileChain(d, env, "default_filter_chain")
		if err != nil {
			return err
		}
		c.fallback = true
		l.fallback = c
	}
	l.warmTimeout = l.fetchTimeout()
	return nil
}

func compileChain(fc *listenerv3.FilterChain, env CompileEnv, path string) (*chain, error) {
	c := &chain{name: fc.GetName(), proto: fc}
	var err error
	if c.match, err = compileMatch(fc.GetFilterChainMatch(), path+".filter_chain_match"); err != nil {
		return nil, err
	}
	if ts := fc.GetTransportSocket(); ts != nil {
		ctx := &tlsv3.DownstreamTlsContext{}
		if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
			return nil, fmt.Errorf("%s.transport_socket.typed_config: invalid: a filter chain takes a DownstreamTlsContext",
				path)
		}
		tp := path + ".transport_socket.typed_config.(envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext)"
		if c.tls, err = tlssock.NewServer(ctx, env.Secrets, env.ReadFile, tp); err != nil {
			return nil, err
		}
		for _, s := range ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
			if s.GetSdsConfig().GetAds() == nil {
				return nil, fmt.Errorf("%s.common_tls_context.tls_certificate_sds_secret_configs: "+
					"not implemented by the test data plane: only ads config sources", tp)
			}
		}
		c.secrets = c.tls.SecretNames()
	}
	if len(fc.GetFilters()) != 1 {
		return nil, fmt.Errorf("%s.filters: not implemented by the test data plane: %d filters "+
			"(exactly one terminal filter, http_connection_manager or tcp_proxy)", path, len(fc.GetFilters()))
	}
	f := fc.GetFilters()[0]
	fp := path + ".filters[0].typed_config"
	switch f.GetName() {
	case strict.HTTPConnectionManagerName:
		h := &hcmv3.HttpConnectionManager{}
		if err := f.GetTypedConfig().UnmarshalTo(h); err != nil {
			return nil, fmt.Errorf("%s: %w", fp, err)
		}
		hp := fp + ".(envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager)"
		if c.hcm, err = hcm.Compile(h, hp); err != nil {
			return nil, err
		}
		if c.hcm.RDSName != "" {
			c.routes = []string{c.hcm.RDSName}
		}
	case strict.TCPProxyName:
		p := &tcpproxyv3.TcpProxy{}
		if err := f.GetTypedConfig().UnmarshalTo(p); err != nil {
			return nil, fmt.Errorf("%s: %w", fp, err)
		}
		if c.tcp, err = tcpproxy.Compile(p, fp+".(envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy)"); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s.filters[0]: filter %q is not implemented by the test data plane", path, f.GetName())
	}
	return c, nil
}

// fetchTimeout is how long the listener waits for its route
// configurations and secrets: the longest initial_fetch_timeout of their
// config sources (15 s by default), 0 when one of them disables it.
func (l *Listener) fetchTimeout() time.Duration {
	longest := time.Duration(0)
	sources := l.configSources()
	if len(sources) == 0 {
		return 0
	}
	for _, cs := range sources {
		t := 15 * time.Second
		if d := cs.GetInitialFetchTimeout(); d != nil {
			t = d.AsDuration()
		}
		if t == 0 {
			return 0
		}
		longest = max(longest, t)
	}
	return longest
}

// configSources are the RDS and SDS config sources the listener's chains
// use.
func (l *Listener) configSources() []*corev3.ConfigSource {
	var out []*corev3.ConfigSource
	for _, c := range l.allChains() {
		for _, f := range c.proto.GetFilters() {
			h := &hcmv3.HttpConnectionManager{}
			if f.GetTypedConfig().UnmarshalTo(h) == nil && h.GetRds() != nil {
				out = append(out, h.GetRds().GetConfigSource())
			}
		}
		ctx := &tlsv3.DownstreamTlsContext{}
		if ts := c.proto.GetTransportSocket(); ts != nil && ts.GetTypedConfig().UnmarshalTo(ctx) == nil {
			for _, s := range ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
				out = append(out, s.GetSdsConfig())
			}
		}
	}
	return out
}

func (l *Listener) allChains() []*chain {
	if l.fallback == nil {
		return l.chains
	}
	return append(append([]*chain(nil), l.chains...), l.fallback)
}

// RouteNames are the route configurations the listener takes over RDS.
func (l *Listener) RouteNames() []string {
	var out []string
	for _, c := range l.allChains() {
		out = append(out, c.routes...)
	}
	return out
}

// SecretNames are the SDS secrets the listener needs.
func (l *Listener) SecretNames() []string {
	var out []string
	for _, c := range l.allChains() {
		out = append(out, c.secrets...)
	}
	return out
}

// mapAddr binds the wildcard and loopback addresses on the pod's address.
func mapAddr(ip, podIP netip.Addr) netip.Addr {
	if ip.IsUnspecified() || ip == netip.IPv6Loopback() || ip == netip.AddrFrom4([4]byte{127, 0, 0, 1}) {
		return podIP
	}
	return ip
}
