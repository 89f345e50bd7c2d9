package hcm

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/netip"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// fromHTTP converts Go's header map to lower-case router headers.
func fromHTTP(h http.Header) router.Headers {
	return rekey[router.Headers](h, strings.ToLower)
}

// toHTTP converts router headers to Go's canonical header map (Go's
// transports and server only recognize framing headers by their
// canonical keys; names are case-insensitive on the wire anyway).
func toHTTP(h router.Headers) http.Header {
	return rekey[http.Header](h, textproto.CanonicalMIMEHeaderKey)
}

// rekey copies the header map h into a map of type Out with each name
// passed through key; values of names that key makes equal are joined.
func rekey[Out, In ~map[string][]string](h In, key func(string) string) Out {
	out := make(Out, len(h))
	for k, vs := range h {
		nk := key(k)
		out[nk] = append(out[nk], vs...)
	}
	return out
}

// URL schemes.
const (
	schemeHTTP  = "http"
	schemeHTTPS = "https"
)

// scheme is :scheme as Envoy sets it for a request that has none (HTTP/1,
// and Go does not expose HTTP/2's): x-forwarded-proto when it is a valid
// scheme, else by the connection's encryption.
func scheme(xfp string, tls bool) string {
	if xfp == schemeHTTP || xfp == schemeHTTPS {
		return xfp
	}
	if tls {
		return schemeHTTPS
	}
	return schemeHTTP
}

// hopByHop are the connection-specific headers the connection manager
// removes from requests and responses.
var hopByHop = []string{"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}

// internalHeaders are removed from requests that are not internal
// (ConnectionManagerUtility::cleanInternalHeaders); edgeOnly only from
// edge requests.
var (
	internalHeaders = []string{
		"x-envoy-retriable-status-codes", "x-envoy-retriable-header-names", "x-envoy-retry-on",
		"x-envoy-retry-grpc-on", "x-envoy-max-retries", "x-envoy-upstream-alt-stat-name",
		"x-envoy-upstream-rq-timeout-ms", "x-envoy-upstream-rq-per-try-timeout-ms",
		"x-envoy-upstream-rq-timeout-alt-response", "x-envoy-expected-rq-timeout-ms",
		"x-envoy-force-trace", "x-envoy-ip-tags", "x-envoy-original-url", "x-envoy-hedge-on-per-try-timeout",
	}
	edgeOnlyHeaders = []string{
		"x-envoy-decorator-operation", "x-envoy-downstream-service-cluster", "x-envoy-downstream-service-node",
	}
)

// peer is what the connection manager knows of the downstream connection.
type peer struct {
	remote netip.Addr
	tls    bool
	// local is the proxy's own address, appended to x-forwarded-for in
	// place of a loopback peer.
	local netip.Addr
}

// mutateRequest is ConnectionManagerUtility::mutateRequestHeaders for
// what the data plane implements: no trusted hops, no internal address
// ranges (since Envoy 1.36 no address is internal unless configured, so
// with use_remote_address every request is an edge request), request IDs
// generated, x-forwarded-client-cert sanitized.
func mutateRequest(h router.Headers, useRemoteAddress bool, p peer) {
	for _, n := range hopByHop {
		h.Del(n)
	}
	h.Del("x-envoy-internal")
	sanitizeReferer(h)
	sanitizeTE(h)
	connScheme := scheme("", p.tls)
	if useRemoteAddress {
		appended := p.remote
		if p.remote.IsLoopback() {
			appended = p.local
		}
		appendXFF(h, appended.String())
		h.Set("x-forwarded-proto", connScheme)
	} else if h.Get("x-forwarded-proto") == "" {
		h.Set("x-forwarded-proto", connScheme)
	}
	edge := useRemoteAddress
	if edge {
		for _, n := range edgeOnlyHeaders {
			h.Del(n)
		}
	}
	for _, n := range internalHeaders {
		h.Del(n)
	}
	if edge {
		h.Set("x-envoy-external-address", p.remote.String())
	}
	if edge || h.Get("x-request-id") == "" {
		h.Set("x-request-id", uuid4())
	}
	h.Del("x-forwarded-client-cert")
}

// downstreamAddress is the downstream remote address Envoy's connection
// manager determines (no trusted hops): the peer's with
// use_remote_address, else the last x-forwarded-for address when it is an
// IP address, else the peer's.
func downstreamAddress(h router.Headers, useRemoteAddress bool, p peer) netip.Addr {
	if useRemoteAddress {
		return p.remote
	}
	xff := strings.Join(h.Values("x-forwarded-for"), ",")
	if xff == "" {
		return p.remote
	}
	last := strings.TrimSpace(xff[strings.LastIndex(xff, ",")+1:])
	if a, err := netip.ParseAddr(last); err == nil {
		return a.Unmap()
	}
	return p.remote
}

// appendXFF appends an address to x-forwarded-for (one comma-separated
// value, as Envoy's Utility::appendXff).
func appendXFF(h router.Headers, addr string) {
	cur := strings.Join(h.Values("x-forwarded-for"), ",")
	if cur == "" {
		h.Set("x-forwarded-for", addr)
		return
	}
	h.Set("x-forwarded-for", cur+","+addr)
}

// sanitizeReferer removes a Referer that is repeated or not an absolute
// URL, as Envoy does.
func sanitizeReferer(h router.Headers) {
	vs := h.Values("referer")
	if len(vs) == 0 {
		return
	}
	if len(vs) > 1 {
		h.Del("referer")
		return
	}
	u, err := url.Parse(vs[0])
	if err != nil || u.Scheme == "" || u.Host == "" {
		h.Del("referer")
	}
}

// sanitizeTE keeps only the "trailers" token of TE, the only one allowed
// through a proxy.
func sanitizeTE(h router.Headers) {
	vs := h.Values("te")
	if len(vs) == 0 {
		return
	}
	for _, v := range vs {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "trailers") {
				h.Set("te", "trailers")
				return
			}
		}
	}
	h.Del("te")
}

// isUpgrade reports an HTTP/1.1 upgrade request (Connection: upgrade and
// an Upgrade header).
func isUpgrade(h http.Header) bool {
	if h.Get("Upgrade") == "" {
		return false
	}
	for _, v := range h.Values("Connection") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// uuid4 is a random version 4 UUID, as Envoy's request ID extension
// generates.
func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
