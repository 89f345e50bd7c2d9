package hcm

import (
	"io"
	"maps"
	"net/http"
	"strconv"
	"time"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// Local reply bodies of Envoy's router.
const (
	bodyNoHealthyUpstream = "no healthy upstream"
	bodyUpstreamTimeout   = "upstream request timeout"
	bodyResetPrefix       = "upstream connect error or disconnect/reset before headers. "
)

// reply sends a local reply as Envoy's sendLocalReply: the status, the
// body with content-type text/plain when not empty, then the route's
// response header mutations (mutate, may be nil).
func (s *stream) reply(status int, body string, mutate func(router.Headers)) {
	h := router.Headers{}
	if body != "" {
		h.Set("content-type", "text/plain")
	}
	if mutate != nil {
		mutate(h)
	}
	s.cors.encode(h)
	h.Set("content-length", strconv.Itoa(len(body)))
	s.writeHeaders(status, h)
	if body != "" && s.r.Method != http.MethodHead {
		_, _ = io.WriteString(s.w, body)
	}
}

// direct sends a route's direct response or redirect.
func (s *stream) direct(d *router.DirectResponse) {
	drain(s.r)
	h := d.Headers.Clone()
	h.Set("content-length", strconv.Itoa(len(d.Body)))
	s.writeHeaders(d.Status, h)
	if len(d.Body) > 0 && s.r.Method != http.MethodHead {
		_, _ = s.w.Write(d.Body)
	}
}

// writeHeaders writes a response's status and headers with what the
// connection manager adds to every response: hop-by-hop headers removed,
// date set, server: envoy (server_header_transformation OVERWRITE).
func (s *stream) writeHeaders(status int, h router.Headers) {
	for _, n := range hopByHop {
		h.Del(n)
	}
	out := s.w.Header()
	keepClose := out.Get("Connection") == "close"
	for k := range out {
		delete(out, k)
	}
	maps.Copy(out, toHTTP(h))
	out.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	out.Set("Server", "envoy")
	if _, ok := out["Content-Type"]; !ok {
		out["Content-Type"] = nil // no sniffing
	}
	if keepClose {
		out.Set("Connection", "close")
	}
	s.w.WriteHeader(status)
}

// drain reads what is left of the request body (bounded), so that an
// HTTP/1.1 connection can carry the next request.
func drain(r *http.Request) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	}
}
