package translator

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/protovalidate"
)

const (
	// transportTLS and transportRaw are the transport protocols tls_inspector
	// detects; they are matched only on listeners mixing plain and TLS chains.
	transportTLS = "tls"
	transportRaw = "raw_buffer"
	// connectionBufferLimit is Envoy's edge best-practice per-connection buffer.
	connectionBufferLimit = 32768
)

// addListener builds the Listener of one address:port and the
// RouteConfigurations of its HTTP filter chains.
func (t *translation) addListener(g *addressGroup) {
	if net.ParseIP(g.address) == nil {
		t.warnf("address %q of port %d is not an IP address; its listeners are skipped", g.address, g.port)
		return
	}
	claims := sniClaims{}
	tlsChains := t.httpsChains(g, claims)
	tlsChains = append(tlsChains, t.passthroughChains(g, claims)...)

	var chains []*listenerv3.FilterChain
	if len(g.http) > 0 {
		chains = append(chains, t.httpChain(g, len(tlsChains) > 0))
	}
	if c := t.tcpChain(g, len(g.http) > 0); c != nil {
		chains = append(chains, c)
	}
	chains = append(chains, tlsChains...)
	uniqueChainNames(chains)
	if len(chains) == 0 {
		// Envoy refuses a listener without filter chains; nothing to serve.
		return
	}
	var filters []*listenerv3.ListenerFilter
	if len(tlsChains) > 0 {
		filters = append(filters, TLSInspector())
	}
	t.addValidListener(Listener(g.address, g.port, filters, chains))
}

// addValidListener adds a listener whose filter chains each pass
// validation (the others are left out), when the listener itself does.
func (t *translation) addValidListener(l *listenerv3.Listener) {
	if err := protovalidate.Deep(l); err == nil {
		t.out.Listeners = append(t.out.Listeners, l)
		return
	}
	chains := make([]*listenerv3.FilterChain, 0, len(l.FilterChains))
	for _, c := range l.FilterChains {
		if err := protovalidate.Deep(c); err != nil {
			t.leaveOut("filter chain", "", l.GetName()+" "+c.GetName(), err)
			continue
		}
		chains = append(chains, c)
	}
	l.FilterChains = chains
	if len(chains) == 0 {
		t.leaveOut("listener", "", l.GetName(), errors.New("no filter chain is valid"))
		return
	}
	if err := protovalidate.Deep(l); err != nil {
		t.leaveOut("listener", "", l.GetName(), err)
		return
	}
	t.out.Listeners = append(t.out.Listeners, l)
}

// uniqueChainNames suffixes repeated filter chain names with "#2", "#3"...
// (a TLS route attached to two listeners of one port), as Envoy wants them
// unique within a listener.
func uniqueChainNames(chains []*listenerv3.FilterChain) {
	seen := map[string]int{}
	for _, c := range chains {
		seen[c.Name]++
		if n := seen[c.Name]; n > 1 {
			c.Name = fmt.Sprintf("%s#%d", c.Name, n)
		}
	}
}

// httpChain is the single filter chain of the plain HTTP listeners of g. When
// the port also has TLS chains it matches only non-TLS connections.
func (t *translation) httpChain(g *addressGroup, mixed bool) *listenerv3.FilterChain {
	name := HTTPRouteConfigName(g.address, g.port)
	routes := routesOf(g.http)
	t.addRouteConfiguration(name, routes, nil)
	chain := &listenerv3.FilterChain{
		Name:    "http",
		Filters: []*listenerv3.Filter{HTTPConnectionManager(httpStatPrefix(g.port), name, t.chainFilters(routes)...)},
	}
	if mixed {
		chain.FilterChainMatch = &listenerv3.FilterChainMatch{TransportProtocol: transportRaw}
	}
	return chain
}

// routesOf returns the routes of listeners, in order: the one listener's
// slice itself (a route configuration memo keeps it: nothing modifies it),
// or a new one joining several.
func routesOf(listeners []*ir.HTTPListener) []*ir.HTTPRoute {
	if len(listeners) == 1 {
		return listeners[0].Routes
	}
	var routes []*ir.HTTPRoute
	for _, l := range listeners {
		routes = append(routes, l.Routes...)
	}
	return routes
}

// httpsGroup is the HTTPS listeners of one port that share a hostname set.
type httpsGroup struct {
	hostnames []string
	listeners []*ir.HTTPListener
}

// httpsChains builds one TLS-terminating filter chain per hostname set of the
// HTTPS listeners of g, in order of first appearance.
func (t *translation) httpsChains(g *addressGroup, claims sniClaims) []*listenerv3.FilterChain {
	var groups []*httpsGroup
	index := map[string]*httpsGroup{}
	for _, l := range g.https {
		hostnames := uniqueSorted(l.Hostnames)
		// Listeners validating client certificates differently never share
		// a chain: the second one's hostnames are then already claimed.
		key := strings.Join(hostnames, ",") + clientValidationKey(l.TLS.ClientValidation)
		hg, ok := index[key]
		if !ok {
			hg = &httpsGroup{hostnames: hostnames}
			index[key] = hg
			groups = append(groups, hg)
		}
		hg.listeners = append(hg.listeners, l)
	}
	var chains []*listenerv3.FilterChain
	for _, hg := range groups {
		first := hg.listeners[0].Name
		serverNames, taken, ok := claims.claim(hg.hostnames)
		if !t.checkClaim("listener", first, g.port, taken, ok) {
			continue
		}
		name := HTTPSRouteConfigName(g.address, g.port, first)
		var secrets []string
		for _, l := range hg.listeners {
			secrets = t.useSecrets(secrets, l.TLS.Certificates)
		}
		routes := routesOf(hg.listeners)
		t.addRouteConfiguration(name, routes, misdirectedHostnames(hg.hostnames, otherHostnames(groups, hg)))
		chains = append(chains, &listenerv3.FilterChain{
			Name: first,
			FilterChainMatch: &listenerv3.FilterChainMatch{
				ServerNames:       serverNames,
				TransportProtocol: transportTLS,
			},
			Filters:         []*listenerv3.Filter{HTTPConnectionManager(httpsStatPrefix(g.port), name, t.chainFilters(routes)...)},
			TransportSocket: DownstreamTLSTransportSocket(secrets, hg.listeners[0].TLS.ClientValidation),
		})
	}
	return chains
}

// clientValidationKey tells client certificate validations apart in the
// grouping key of HTTPS listeners.
func clientValidationKey(cv *ir.ClientValidation) string {
	if cv == nil {
		return ""
	}
	return fmt.Sprintf("|mtls:%t:%s", cv.AllowInsecureFallback, cv.CACertificate)
}

// otherHostnames are the hostnames of the HTTPS groups other than hg.
func otherHostnames(groups []*httpsGroup, hg *httpsGroup) []string {
	var out []string
	for _, g := range groups {
		if g != hg {
			out = append(out, g.hostnames...)
		}
	}
	return out
}

// useSecrets records the certificates a filter chain terminates TLS with
// and adds their SDS secret names to names (once each).
func (t *translation) useSecrets(names []string, certs []*ir.Certificate) []string {
	for _, c := range certs {
		if _, seen := t.secrets[c.Name]; !seen {
			t.secrets[c.Name] = c
		}
		if !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	return names
}

// passthroughChains builds one SNI-matched tcp_proxy filter chain per TLS
// route of g, in IR order: passthrough forwards the TLS bytes as they are;
// a listener with certificates terminates TLS first and forwards plain TCP.
func (t *translation) passthroughChains(g *addressGroup, claims sniClaims) []*listenerv3.FilterChain {
	var chains []*listenerv3.FilterChain
	for _, l := range g.tls {
		prefix := tlsStatPrefix(g.port)
		if l.TLS != nil {
			prefix = tlsTerminateStatPrefix(g.port)
		}
		for _, r := range l.Routes {
			serverNames, taken, ok := claims.claim(uniqueSorted(r.Hostnames))
			if !t.checkClaim("tls route", r.Name, g.port, taken, ok) {
				continue
			}
			chain := &listenerv3.FilterChain{
				Name: r.Name,
				FilterChainMatch: &listenerv3.FilterChainMatch{
					ServerNames:       serverNames,
					TransportProtocol: transportTLS,
				},
				Filters: []*listenerv3.Filter{TCPProxy(prefix, t.l4Backends(r.Destination))},
			}
			if l.TLS != nil {
				chain.TransportSocket = DownstreamTLSTransportSocketNoALPN(t.useSecrets(nil, l.TLS.Certificates))
			}
			chains = append(chains, chain)
		}
	}
	return chains
}

// l4Backends are the weighted clusters tcp_proxy forwards a destination
// to: its invalid share goes to invalidBackendCluster, which closes the
// connection.
func (t *translation) l4Backends(d *ir.Destination) []*ir.WeightedCluster {
	backends := d.Backends
	if d.InvalidWeight > 0 {
		t.invalidBackend = true
		backends = append(slices.Clip(backends), &ir.WeightedCluster{Cluster: invalidBackendCluster, Weight: d.InvalidWeight})
	}
	return backends
}

// tcpChain is the filter chain of the TCP listener of g: every connection
// (every non-TLS one when TLS chains share the port) goes to its route's
// destination. Nil when g has no TCP listener with a route. Listener
// conflicts leave at most one TCP listener per port, and none beside plain
// HTTP; a second one, or one beside HTTP, is left out with a warning.
func (t *translation) tcpChain(g *addressGroup, hasHTTP bool) *listenerv3.FilterChain {
	var chain *listenerv3.FilterChain
	for _, l := range g.tcp {
		switch {
		case l.Route == nil:
			continue
		case hasHTTP || chain != nil:
			t.warnf("tcp listener %q: port %d already has a filter chain for plain connections; skipped", l.Name, g.port)
			continue
		}
		chain = &listenerv3.FilterChain{
			Name:    l.Route.Name,
			Filters: []*listenerv3.Filter{TCPProxy(tcpStatPrefix(g.port), t.l4Backends(l.Route.Destination))},
		}
	}
	if chain != nil && (len(g.https) > 0 || len(g.tls) > 0) {
		chain.FilterChainMatch = &listenerv3.FilterChainMatch{TransportProtocol: transportRaw}
	}
	return chain
}

// checkClaim warns about server names another filter chain already serves
// and says whether the chain still has something to match.
func (t *translation) checkClaim(kind, name string, port uint32, taken []string, ok bool) bool {
	switch {
	case !ok:
		t.warnf("%s %q: hostnames %v on port %d are already served by another filter chain; skipped", kind, name, taken, port)
	case len(taken) > 0:
		t.warnf("%s %q: hostnames %v on port %d are already served by another filter chain; left out", kind, name, taken, port)
	}
	return ok
}

// sniClaims records the server names already matched by a filter chain of a
// listener; "" stands for the catch-all chain without server names.
type sniClaims map[string]bool

// claim returns the server names of hostnames not claimed yet, claims them,
// and returns the hostnames already claimed as taken. Any "*" (or no hostname
// at all) means the catch-all chain, returned as nil server names. ok is
// false when nothing is left to match.
func (c sniClaims) claim(hostnames []string) (serverNames, taken []string, ok bool) {
	if len(hostnames) == 0 || slices.Contains(hostnames, "*") {
		if c[""] {
			return nil, hostnames, false
		}
		c[""] = true
		return nil, nil, true
	}
	for _, h := range hostnames {
		if c[h] {
			taken = append(taken, h)
			continue
		}
		c[h] = true
		serverNames = append(serverNames, h)
	}
	return serverNames, taken, len(serverNames) > 0
}

func uniqueSorted(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// Listener is an Envoy listener on address:port.
func Listener(address string, port uint32, filters []*listenerv3.ListenerFilter, chains []*listenerv3.FilterChain) *listenerv3.Listener {
	return &listenerv3.Listener{
		Name:                          ListenerName(address, port),
		Address:                       SocketAddress(address, port),
		ListenerFilters:               filters,
		FilterChains:                  chains,
		PerConnectionBufferLimitBytes: wrapperspb.UInt32(connectionBufferLimit),
	}
}

// TLSInspector is the listener filter that reads the SNI and detects TLS.
func TLSInspector() *listenerv3.ListenerFilter {
	return &listenerv3.ListenerFilter{
		Name:       wellknown.TLSInspector,
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: MustAny(&tlsinspectorv3.TlsInspector{})},
	}
}

// chainFilters are the HTTP filters of a chain serving routes, before the
// router: the CORS filter first when a route has a CORS policy (so a
// preflight is answered and every local reply of a later filter gets the
// CORS headers), then the fleet's rate limit filters.
func (t *translation) chainFilters(routes []*ir.HTTPRoute) []*hcmv3.HttpFilter {
	if !hasCORS(routes) {
		return t.httpFilters
	}
	return append([]*hcmv3.HttpFilter{CORSFilter()}, t.httpFilters...)
}

// HTTPConnectionManager is the HTTP connection manager network filter taking
// its routes from the RouteConfiguration routeConfig over ADS; filters run
// before the router.
func HTTPConnectionManager(statPrefix, routeConfig string, filters ...*hcmv3.HttpFilter) *listenerv3.Filter {
	hcm := &hcmv3.HttpConnectionManager{
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		StatPrefix: statPrefix,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			ConfigSource:    ADSConfigSource(),
			RouteConfigName: routeConfig,
		}},
		HttpFilters: append(slices.Clip(filters), &hcmv3.HttpFilter{
			Name:       wellknown.Router,
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: MustAny(&routerv3.Router{})},
		}),
		// WebSocket upgrades pass (HTTPRoute backends of appProtocol
		// kubernetes.io/ws, and any backend that accepts them).
		UpgradeConfigs: []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}},
		// The proxy is the edge: trust the peer address, not X-Forwarded-For.
		UseRemoteAddress: wrapperspb.Bool(true),
		NormalizePath:    wrapperspb.Bool(true),
		MergeSlashes:     true,
	}
	return &listenerv3.Filter{
		Name:       wellknown.HTTPConnectionManager,
		ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: MustAny(hcm)},
	}
}

// DownstreamTLSTransportSocket terminates TLS (1.2 or newer, ALPN h2 and
// http/1.1) with the certificates of the named SDS secrets. With cv set it
// also asks clients for a certificate and verifies it against cv's CAs
// (inline): required and valid, or with insecure fallback optional and
// accepted whatever its verification says (Envoy's ACCEPT_UNTRUSTED).
func DownstreamTLSTransportSocket(secrets []string, cv *ir.ClientValidation) *corev3.TransportSocket {
	ctx := downstreamTLSContext(secrets, []string{"h2", "http/1.1"})
	if cv != nil {
		validation := &tlsv3.CertificateValidationContext{
			TrustedCa: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: cv.CACertificate}},
		}
		if cv.AllowInsecureFallback {
			validation.TrustChainVerification = tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED
		} else {
			ctx.RequireClientCertificate = wrapperspb.Bool(true)
		}
		ctx.CommonTlsContext.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: validation}
	}
	return downstreamTransportSocket(ctx)
}

// DownstreamTLSTransportSocketNoALPN terminates TLS (1.2 or newer) with the
// certificates of the named SDS secrets and negotiates no application
// protocol: the decrypted bytes are forwarded as they are (TLSRoute with
// mode Terminate).
func DownstreamTLSTransportSocketNoALPN(secrets []string) *corev3.TransportSocket {
	return downstreamTransportSocket(downstreamTLSContext(secrets, nil))
}

// downstreamTLSContext terminates TLS 1.2 or newer with the certificates of
// the named SDS secrets, negotiating alpn.
func downstreamTLSContext(secrets, alpn []string) *tlsv3.DownstreamTlsContext {
	sds := make([]*tlsv3.SdsSecretConfig, 0, len(secrets))
	for _, s := range secrets {
		sds = append(sds, &tlsv3.SdsSecretConfig{Name: s, SdsConfig: ADSConfigSource()})
	}
	ctx := &tlsv3.DownstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
		TlsParams:                      &tlsv3.TlsParameters{TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_2},
		TlsCertificateSdsSecretConfigs: sds,
		AlpnProtocols:                  alpn,
	}}
	return ctx
}

func downstreamTransportSocket(ctx *tlsv3.DownstreamTlsContext) *corev3.TransportSocket {
	return &corev3.TransportSocket{
		Name:       wellknown.TransportSocketTLS,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: MustAny(ctx)},
	}
}

// TCPProxy is the tcp_proxy network filter forwarding to one cluster, or to
// weighted clusters when there are several.
func TCPProxy(statPrefix string, backends []*ir.WeightedCluster) *listenerv3.Filter {
	p := &tcpproxyv3.TcpProxy{StatPrefix: statPrefix}
	if len(backends) == 1 {
		p.ClusterSpecifier = &tcpproxyv3.TcpProxy_Cluster{Cluster: backends[0].Cluster}
	} else {
		w := &tcpproxyv3.TcpProxy_WeightedCluster{}
		for _, b := range backends {
			w.Clusters = append(w.Clusters, &tcpproxyv3.TcpProxy_WeightedCluster_ClusterWeight{Name: b.Cluster, Weight: b.Weight})
		}
		p.ClusterSpecifier = &tcpproxyv3.TcpProxy_WeightedClusters{WeightedClusters: w}
	}
	return &listenerv3.Filter{
		Name:       wellknown.TCPProxy,
		ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: MustAny(p)},
	}
}
