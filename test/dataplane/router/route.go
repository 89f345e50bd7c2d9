package router

import (
	"strconv"
	"strings"
	"time"
)

// Route decides what to do with req; rnd gives the one random value per
// request Envoy uses for runtime fractions, the weighted cluster pick and
// mirror fractions. It does no I/O and does not modify req; req and rnd
// must not be nil.
func (t *Table) Route(req *Request, rnd Rand) *Decision {
	random := rnd.Uint64()
	normalized := *req
	normalized.Headers = normalizeHeaders(req.Headers)
	req = &normalized
	vh := t.index.find(req.Authority, req.Authority != "")
	if vh == nil {
		return &Decision{Direct: notFound()}
	}
	d := &Decision{VirtualHost: vh.name}
	// Envoy's VirtualHostImpl::getRouteFromEntries finds no route for a
	// request without x-forwarded-proto (the connection manager always
	// sets it).
	if req.Headers.Get("x-forwarded-proto") == "" {
		d.Direct = notFound()
		return d
	}
	var r *route
	for _, candidate := range vh.routes {
		// Only CONNECT routes (not implemented) match a request without
		// :path (VirtualHostImpl::getRouteFromRoutes).
		if req.Path != "" && candidate.match.matches(req, random, t.ignorePathParams) {
			r = candidate
			break
		}
	}
	if r == nil {
		d.Direct = notFound()
		return d
	}
	d.RouteName, d.PerFilter, d.CORS = r.name, r.perFilter, r.cors
	if r.action == nil {
		d.Direct = t.localReply(req, vh, r)
		return d
	}
	d.Forward = t.forward(req, vh, r, random)
	return d
}

// notFound is the router's reply when no route matches: 404, no body.
func notFound() *DirectResponse {
	return &DirectResponse{Status: 404, Headers: Headers{}}
}

// levels returns the route configuration, virtual host and route parsers
// in evaluation order: the most specific first (so the least specific
// wins) unless most_specific_header_mutations_wins.
func (t *Table) levels(vh *virtualHost, r *route, response bool) [3]*headerParser {
	g, v, rp := t.request, vh.request, r.request
	if response {
		g, v, rp = t.response, vh.response, r.response
	}
	if t.mostSpecificWins {
		return [3]*headerParser{g, v, rp}
	}
	return [3]*headerParser{rp, v, g}
}

// localReply answers a redirect or direct_response route as Envoy's
// router and sendLocalReply do: a redirect first rewrites the request path
// with its prefix_rewrite or regex_rewrite; a 201 or 3xx status gets a
// Location built from the request; then the response header mutations of
// the route, virtual host and configuration apply; a non-empty body gets
// content-type text/plain unless a mutation set one, an empty body has no
// content-type; content-length is left to the connection manager.
func (t *Table) localReply(req *Request, vh *virtualHost, r *route) *DirectResponse {
	out := &DirectResponse{Headers: Headers{}}
	path := req.Path
	if rd := r.redirect; rd != nil {
		out.Status = rd.status
		if p := rewritePath(path, r.match.matchedPath(path), rd.prefixRewrite, rd.regexRewrite); p != "" {
			path = p
		}
	} else {
		out.Status = r.direct.status
		out.Body = append([]byte(nil), r.direct.body...)
	}
	if req.Path != "" && (out.Status == 201 || (out.Status >= 300 && out.Status < 400)) {
		out.Headers.Add("location", newURI(r.redirect, uriRequest{
			scheme: req.Scheme, authority: req.Authority, path: path,
			forwardedProto: req.Headers.Get("x-forwarded-proto"),
		}))
	}
	for _, p := range t.levels(vh, r, true) {
		p.apply(out.Headers)
	}
	out.Headers.Del("content-length")
	if len(out.Body) == 0 {
		out.Headers.Del("content-type")
	} else if !out.Headers.Has("content-type") {
		out.Headers.Set("content-type", "text/plain")
	}
	return out
}

// forward builds the upstream request as Envoy's router: pick the
// weighted cluster, compute the timeouts (which may set
// x-envoy-expected-rq-timeout-ms), then finalizeRequestHeaders: the
// weighted cluster's header mutations and host_rewrite_literal, the
// mutations of the route, virtual host and configuration, the route's
// host_rewrite_literal, then the path rewrite; finally the mirrors.
func (t *Table) forward(req *Request, vh *virtualHost, r *route, random uint64) *Forward {
	a := r.action
	f := &Forward{
		Cluster: a.cluster, ClusterNotFoundStatus: a.notFoundStatus,
		Method: req.Method, Authority: req.Authority, Path: req.Path, Scheme: req.Scheme,
		Headers: req.Headers.Clone(), Retry: a.retry, RateLimits: a.rateLimits,
	}
	var wc *weightedCluster
	if len(a.weighted) > 0 {
		wc = a.pick(random)
		f.Cluster = wc.name
	}
	f.Timeout, f.PerTryTimeout = finalTimeout(a, f.Headers, !req.SuppressEnvoyHeaders)
	if wc != nil {
		wc.request.apply(f.Headers)
		if wc.hostRewrite != "" {
			f.Authority = wc.hostRewrite
		}
	}
	for _, p := range t.levels(vh, r, false) {
		p.apply(f.Headers)
	}
	if a.hostRewrite != "" {
		f.Authority = updateAuthority(f.Headers, f.Authority, a.hostRewrite, a.appendXFH, !req.SuppressEnvoyHeaders)
	}
	if p := rewritePath(f.Path, r.match.matchedPath(f.Path), a.prefixRewrite, a.regexRewrite); p != "" {
		if !req.SuppressEnvoyHeaders {
			f.Headers.Set("x-envoy-original-path", f.Path)
		}
		f.Path = p
	}
	if req.Method != "CONNECT" {
		for _, m := range a.mirrors {
			if !m.fraction.enabled(random) {
				continue
			}
			authority := f.Authority
			if !m.keepHostUnchange {
				authority = shadowHost(authority)
			}
			f.Mirrors = append(f.Mirrors, Mirror{Cluster: m.cluster, Authority: authority})
		}
	}
	response := t.levels(vh, r, true)
	f.MutateResponse = func(h Headers) {
		if wc != nil {
			wc.response.apply(h)
		}
		for _, p := range response {
			p.apply(h)
		}
	}
	return f
}

// updateAuthority is Envoy's Http::Utility::updateAuthority for a host
// rewrite: with append_x_forwarded_host the old host is appended to
// x-forwarded-host unless it already is the last entry; unless Envoy
// headers are suppressed the old host is kept in x-envoy-original-host.
func updateAuthority(h Headers, old, host string, appendXFH, keepOld bool) string {
	if appendXFH && old != "" {
		xfh := strings.Join(h.Values("x-forwarded-host"), ",")
		switch {
		case xfh == "":
			h.Set("x-forwarded-host", old)
		case lastToken(xfh) != old:
			h.Set("x-forwarded-host", xfh+","+old)
		}
	}
	if keepOld && old != "" {
		h.Set("x-envoy-original-host", old)
	}
	return host
}

func lastToken(list string) string {
	i := strings.LastIndexByte(list, ',')
	return strings.TrimSpace(list[i+1:])
}

// finalTimeout is Envoy's FilterUtility::finalTimeout for a non-gRPC
// request with respect_expected_rq_timeout false and no hedging: the route
// timeout and per-try timeout, overridden by x-envoy-upstream-rq-timeout-ms
// and x-envoy-upstream-rq-per-try-timeout-ms (both removed); a per-try
// timeout not below a non-zero global timeout is dropped; the expected
// timeout (per-try, else global, capped by global) goes upstream in
// x-envoy-expected-rq-timeout-ms unless Envoy headers are suppressed.
func finalTimeout(a *routeAction, h Headers, insertExpected bool) (global, perTry time.Duration) {
	globalMs, perTryMs := uint64(a.timeoutMs), uint64(a.perTryMs)
	if h.Has("x-envoy-upstream-rq-timeout-ms") {
		if v, ok := parseTimeoutHeader(h.Get("x-envoy-upstream-rq-timeout-ms")); ok {
			globalMs = v
		}
		h.Del("x-envoy-upstream-rq-timeout-ms")
	}
	if s := h.Get("x-envoy-upstream-rq-per-try-timeout-ms"); s != "" {
		if v, ok := parseTimeoutHeader(s); ok {
			perTryMs = v
		}
		h.Del("x-envoy-upstream-rq-per-try-timeout-ms")
	}
	if perTryMs >= globalMs && globalMs != 0 {
		perTryMs = 0
	}
	expected := perTryMs
	if expected == 0 {
		expected = globalMs
	}
	if expected > 0 {
		if globalMs > 0 {
			expected = min(expected, globalMs)
		}
		if insertExpected {
			h.Set("x-envoy-expected-rq-timeout-ms", strconv.FormatUint(expected, 10))
		}
	}
	return time.Duration(globalMs) * time.Millisecond, time.Duration(perTryMs) * time.Millisecond
}

// parseTimeoutHeader is absl::SimpleAtoi for an unsigned value.
func parseTimeoutHeader(s string) (uint64, bool) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "+"), 10, 64)
	return v, err == nil
}
