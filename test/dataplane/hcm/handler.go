package hcm

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/go-logr/logr"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
)

// DefaultBufferLimit is Envoy's per_connection_buffer_limit_bytes default.
const DefaultBufferLimit = 1 << 20

// Deps is what a connection manager needs from the proxy.
type Deps struct {
	// Routes returns the route configuration of that name received over
	// RDS, or nil when none was.
	Routes func(name string) *router.Table
	// Clusters returns the active cluster of that name, or nil.
	Clusters func(name string) *upstream.Cluster
	// Live reports whether the server is live (health_check answers 200)
	// rather than draining or failed (503).
	Live func() bool
	// LocalAddress is the proxy's own address (appended to
	// x-forwarded-for for loopback peers, as Envoy appends its local
	// address).
	LocalAddress netip.Addr
	// BufferLimit is the listener's per_connection_buffer_limit_bytes:
	// how much of a request body is buffered for retries and mirrors.
	BufferLimit int
	// Background runs the mirrors' shadow requests.
	Background *Background
	// GRPC gives the gRPC connections of the rate limit filter; nil: its
	// calls fail.
	GRPC   GRPCConns
	Logger logr.Logger
}

// Background runs fire-and-forget work (shadow requests) until its
// context ends; Wait waits for all of it.
type Background struct {
	ctx context.Context
	wg  sync.WaitGroup
}

// NewBackground returns a Background whose work is cancelled with ctx.
func NewBackground(ctx context.Context) *Background { return &Background{ctx: ctx} }

// Go runs f in a goroutine.
func (b *Background) Go(f func(ctx context.Context)) { b.wg.Go(func() { f(b.ctx) }) }

// Wait waits for every function started with Go.
func (b *Background) Wait() { b.wg.Wait() }

// Handler is the HTTP connection manager with its router filter (and the
// health_check filter when configured), as an http.Handler.
type Handler struct {
	cfg  *Config
	deps Deps
}

// NewHandler returns the connection manager of cfg.
func NewHandler(cfg *Config, deps Deps) *Handler {
	if deps.BufferLimit <= 0 {
		deps.BufferLimit = DefaultBufferLimit
	}
	return &Handler{cfg: cfg, deps: deps}
}

// routes is the route table requests use now: the inline one, else the
// one received over RDS (nil before any arrived).
func (h *Handler) routes() *router.Table {
	if h.cfg.Static != nil {
		return h.cfg.Static
	}
	return h.deps.Routes(h.cfg.RDSName)
}

// ServeHTTP runs one request through the connection manager: Envoy's
// ActiveStream::decodeHeaders checks, path normalization, header
// mutation, the health_check filter, then the router.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := &stream{h: h, w: w, r: r, start: time.Now()}
	s.serve()
}

// stream is one request.
type stream struct {
	h     *Handler
	w     http.ResponseWriter
	r     *http.Request
	start time.Time
	// cors is the CORS filter's state of the request once it decoded it
	// (nil when the route has no CORS policy).
	cors *corsState
}

func (s *stream) serve() {
	r := s.r
	path, authority, upgrade, ok := s.admit()
	if !ok {
		return
	}
	headers := fromHTTP(r.Header)
	p := s.peer()
	mutateRequest(headers, s.h.cfg.useRemoteAddress, p)
	req := &router.Request{
		Method: r.Method, Authority: authority, Path: path, Scheme: scheme(headers.Get("x-forwarded-proto"), p.tls),
		Headers: headers, SuppressEnvoyHeaders: s.h.cfg.suppressEnvoyHeaders,
		RemoteAddress: downstreamAddress(headers, s.h.cfg.useRemoteAddress, p),
	}
	if hc := s.h.cfg.healthCheck; hc != nil && hc.matches(req) {
		s.healthCheck()
		return
	}
	table := s.h.routes()
	if table == nil {
		// No route configuration (initial fetch timed out): Envoy's null
		// configuration routes nothing.
		s.reply(http.StatusNotFound, "", nil)
		return
	}
	d := table.Route(req, randSource{})
	cors, answered := s.corsDecode(d, headers)
	if answered {
		return
	}
	// The CORS filter comes first in the chain (compileFilters): the local
	// replies of the later filters pass its encodeHeaders.
	s.cors = cors
	if s.rateLimit(req, d) {
		return
	}
	if d.Direct != nil {
		direct := *d.Direct
		if cors != nil {
			direct.Headers = direct.Headers.Clone()
			cors.encode(direct.Headers)
		}
		s.direct(&direct)
		return
	}
	f := *d.Forward
	f.MutateResponse = withCORS(f.MutateResponse, cors)
	if upgrade != "" {
		s.forwardUpgrade(&f, upgrade)
		return
	}
	s.forward(&f)
}

// admit applies the connection manager's checks that come before routing
// (HTTP/1.0 refused, request target, fragment, upgrade_configs, path
// normalization) and returns the request's normalized path, authority and
// upgrade. When it answered the request itself, ok is false.
func (s *stream) admit() (path, authority, upgrade string, ok bool) {
	r := s.r
	if r.ProtoMajor == 1 && r.ProtoMinor == 0 {
		// accept_http_10 is false: Envoy's HTTP/1 codec refuses HTTP/1.0.
		s.w.Header().Set("Connection", "close")
		s.reply(http.StatusUpgradeRequired, "", nil)
		return "", "", "", false
	}
	path, authority, ok = requestTarget(r)
	if !ok {
		s.reply(http.StatusNotFound, "", nil)
		return "", "", "", false
	}
	if strings.Contains(path, "#") {
		s.reply(http.StatusBadRequest, "", nil)
		return "", "", "", false
	}
	if r.ProtoMajor == 1 && isUpgrade(r.Header) {
		upgrade = r.Header.Get("Upgrade")
		if !s.h.cfg.upgradeAllowed(upgrade) {
			// Not in upgrade_configs: Envoy refuses the upgrade.
			s.reply(http.StatusForbidden, "", nil)
			return "", "", "", false
		}
	}
	path, redirect, ok := s.h.cfg.normalize(path)
	switch {
	case !ok:
		s.reply(http.StatusBadRequest, "", nil)
		return "", "", "", false
	case redirect:
		s.reply(http.StatusTemporaryRedirect, "", func(h router.Headers) { h.Set("location", path) })
		return "", "", "", false
	}
	return path, authority, upgrade, true
}

// requestTarget returns :path and :authority. An HTTP/1 absolute-form
// target becomes its path and host (Envoy's allow_absolute_url); any
// other target not starting with "/" ("*", authority-form) is not
// routable (ok false: 404).
func requestTarget(r *http.Request) (path, authority string, ok bool) {
	target := r.RequestURI
	if strings.HasPrefix(target, "/") {
		return target, r.Host, true
	}
	if r.ProtoMajor == 1 && (strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://")) {
		p := r.URL.EscapedPath()
		if p == "" {
			p = "/"
		}
		if r.URL.RawQuery != "" || r.URL.ForceQuery {
			p += "?" + r.URL.RawQuery
		}
		return p, r.URL.Host, true
	}
	return "", "", false
}

// normalize applies path_with_escaped_slashes_action, normalize_path and
// merge_slashes (ConnectionManagerUtility::maybeNormalizePath). redirect
// asks for a 307 to the returned path; ok false for a 400.
func (c *Config) normalize(path string) (out string, redirect, ok bool) {
	out = path
	if c.escapedSlashes != hcmv3.HttpConnectionManager_KEEP_UNCHANGED {
		unescaped, found := unescapeSlashes(out)
		if found {
			switch c.escapedSlashes {
			case hcmv3.HttpConnectionManager_REJECT_REQUEST:
				return "", false, false
			case hcmv3.HttpConnectionManager_UNESCAPE_AND_REDIRECT:
				redirect = true
			}
			out = unescaped
		}
	}
	if c.normalizePath {
		var good bool
		if out, good = canonicalPath(out); !good {
			return "", false, false
		}
	}
	if c.mergeSlashes {
		out = mergeSlashes(out)
	}
	return out, redirect, true
}

// peer describes the downstream connection of the request.
func (s *stream) peer() peer {
	p := peer{tls: s.r.TLS != nil, local: s.h.deps.LocalAddress}
	if ap, err := netip.ParseAddrPort(s.r.RemoteAddr); err == nil {
		p.remote = ap.Addr().Unmap()
	} else if host, _, err := net.SplitHostPort(s.r.RemoteAddr); err == nil {
		p.remote, _ = netip.ParseAddr(host)
	}
	return p
}

// healthCheck answers a health check request: 200 while the server is
// live, 503 otherwise, after the request ended (Envoy answers on end of
// stream).
func (s *stream) healthCheck() {
	drain(s.r)
	status := http.StatusOK
	if s.h.deps.Live != nil && !s.h.deps.Live() {
		status = http.StatusServiceUnavailable
	}
	s.reply(status, "", nil)
}

// randSource is the per-request random value's source.
type randSource struct{}

func (randSource) Uint64() uint64 { return rand.Uint64() }
