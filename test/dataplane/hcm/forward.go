package hcm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
	"github.com/envoygw/envoy-gateway/test/dataplane/upstream"
)

var (
	errGlobalTimeout = errors.New("route timeout")
	errPerTryTimeout = errors.New("per-try timeout")
)

// outcome is the result of one upstream attempt: a response, or why
// there is none.
type outcome struct {
	resp    *http.Response
	elapsed time.Duration
	release context.CancelFunc

	noHost, global, perTry, gone bool
	// reset, when the attempt failed otherwise: the reset reason and
	// transport failure reason as Envoy words them, and the local reply
	// status (502 for a protocol error, else 503).
	reset, transportFailure string
	status                  int
	connectFailure          bool
	refused                 bool
}

// forward executes a Forward decision as Envoy's router filter.
func (s *stream) forward(f *router.Forward) {
	cluster := s.h.deps.Clusters(f.Cluster)
	if cluster == nil {
		drain(s.r)
		s.reply(f.ClusterNotFoundStatus, "", f.MutateResponse)
		return
	}
	policy := newRetryPolicy(f.Retry)
	body := newRequestBody(s.r.Body, s.r.ContentLength, policy.retries > 0 || len(f.Mirrors) > 0, s.h.deps.BufferLimit)
	ctx, cancel := context.WithCancelCause(s.r.Context())
	defer cancel(nil)
	if f.Timeout > 0 {
		// The route timeout starts when the downstream request ended,
		// which the transport may see on its own goroutine.
		timer := &routeTimer{}
		body.onEnd = func() { timer.start(f.Timeout, func() { cancel(errGlobalTimeout) }) }
		defer timer.stop()
	}
	if body.replayable() {
		s.mirror(f, body)
	}
	for n := 0; ; n++ {
		out := s.attempt(ctx, cluster, f, body)
		switch {
		case out.gone:
			return
		case out.noHost:
			s.reply(http.StatusServiceUnavailable, bodyNoHealthyUpstream, f.MutateResponse)
			return
		case out.global:
			s.reply(http.StatusGatewayTimeout, bodyUpstreamTimeout, f.MutateResponse)
			return
		}
		if n < policy.retries && body.replayable() && policy.retriable(out) {
			out.discard()
			if !sleepCtx(ctx, policy.backoff(n)) {
				if context.Cause(ctx) == errGlobalTimeout {
					s.reply(http.StatusGatewayTimeout, bodyUpstreamTimeout, f.MutateResponse)
				}
				return
			}
			continue
		}
		s.respond(out, f, n > 0)
		return
	}
}

// attempt sends the request to a host of the cluster and waits for the
// response headers.
func (s *stream) attempt(ctx context.Context, c *upstream.Cluster, f *router.Forward, body *requestBody) outcome {
	host, err := c.Pick()
	if err != nil {
		return outcome{noHost: true}
	}
	actx, release := ctx, context.CancelFunc(func() {})
	if f.PerTryTimeout > 0 {
		actx, release = context.WithTimeoutCause(ctx, f.PerTryTimeout, errPerTryTimeout)
	}
	rd, err := body.reader()
	if err != nil {
		release()
		return outcome{reset: "local reset", status: http.StatusServiceUnavailable}
	}
	req := buildRequest(actx, c, host.Address, f.Method, f.Authority, f.Path, f.Headers, rd, body.length)
	start := time.Now()
	resp, err := c.HTTPTransport().RoundTrip(req)
	if err != nil {
		release()
		return s.classify(ctx, actx, err)
	}
	return outcome{resp: resp, elapsed: time.Since(start), release: release}
}

// classify turns a failed attempt into Envoy's terms.
func (s *stream) classify(ctx, actx context.Context, err error) outcome {
	switch {
	case context.Cause(ctx) == errGlobalTimeout:
		return outcome{global: true}
	case s.r.Context().Err() != nil:
		return outcome{gone: true}
	case context.Cause(actx) == errPerTryTimeout:
		return outcome{perTry: true}
	}
	if ce, ok := errors.AsType[*upstream.ConnectError](err); ok {
		return outcome{reset: ce.Reason, transportFailure: ce.TransportFailure, status: http.StatusServiceUnavailable,
			connectFailure: true}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "REFUSED_STREAM"):
		return outcome{reset: "remote refused stream reset", status: http.StatusServiceUnavailable, refused: true}
	case strings.Contains(msg, "stream error"):
		return outcome{reset: "remote reset", status: http.StatusServiceUnavailable}
	case strings.Contains(msg, "malformed HTTP") || strings.Contains(msg, "protocol error"):
		return outcome{reset: "protocol error", status: http.StatusBadGateway}
	}
	return outcome{reset: "connection termination", status: http.StatusServiceUnavailable}
}

// discard releases an outcome that will not be forwarded.
func (o outcome) discard() {
	if o.resp != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(o.resp.Body, 1<<20))
		_ = o.resp.Body.Close()
	}
	if o.release != nil {
		o.release()
	}
}

// respond sends the final outcome downstream: the upstream response
// (streamed, its body under the route timeout), or the router's local
// reply for a failure.
func (s *stream) respond(out outcome, f *router.Forward, retried bool) {
	if out.resp == nil {
		if out.perTry {
			s.reply(http.StatusGatewayTimeout, bodyUpstreamTimeout, f.MutateResponse)
			return
		}
		s.reply(out.status, resetBody(out, retried), f.MutateResponse)
		return
	}
	defer out.discard()
	resp := out.resp
	h := fromHTTP(resp.Header)
	if !s.h.cfg.suppressEnvoyHeaders {
		h.Set("x-envoy-upstream-service-time", strconv.FormatInt(out.elapsed.Milliseconds(), 10))
	}
	f.MutateResponse(h)
	s.writeHeaders(resp.StatusCode, h)
	if err := copyFlush(s.w, resp.Body); err != nil {
		// Too late for a local reply: reset the downstream stream, as
		// Envoy does when the upstream resets or the route times out
		// mid-response.
		panic(http.ErrAbortHandler)
	}
	for k, vs := range resp.Trailer {
		s.w.Header()[http.TrailerPrefix+k] = vs
	}
}

// resetBody is the router's local reply body for a reset.
func resetBody(out outcome, retried bool) string {
	b := bodyResetPrefix
	if retried {
		b += "retried and the latest "
	}
	b += "reset reason: " + out.reset
	if out.transportFailure != "" {
		b += ", transport failure reason: " + out.transportFailure
	}
	return b
}

// copyFlush streams src to w, flushing after each read.
func copyFlush(w http.ResponseWriter, src io.Reader) error {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			_ = rc.Flush()
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// buildRequest makes the upstream request: the host in the URL (the pool
// key), :path written as given, :authority in Host, the router's headers.
func buildRequest(ctx context.Context, c *upstream.Cluster, addr, method, authority, path string,
	headers router.Headers, body io.Reader, length int64) *http.Request {
	u := &url.URL{Scheme: c.URLScheme(), Host: addr}
	p, q, hasQuery := strings.Cut(path, "?")
	if strings.HasPrefix(p, "//") {
		u.Path = p // Opaque would turn "//x" into an absolute URL
	} else {
		u.Opaque = p
	}
	u.RawQuery, u.ForceQuery = q, hasQuery && q == ""
	h := toHTTP(headers)
	for _, n := range []string{"Host", "Content-Length", "Transfer-Encoding", "Connection", "Expect"} {
		delete(h, n)
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = []string{""} // Go's transports add none then
	}
	if body == nil {
		length = 0
	}
	req := &http.Request{
		Method: method, URL: u, Host: authority, Header: h,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		ContentLength: length,
	}
	if body != nil {
		req.Body = io.NopCloser(body)
	}
	return req.WithContext(ctx)
}

// sleepCtx waits d unless ctx ends first (false then).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// routeTimer is the route timeout, started once from any goroutine.
type routeTimer struct {
	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

func (r *routeTimer) start(d time.Duration, fire func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.t == nil && !r.stopped {
		r.t = time.AfterFunc(d, fire)
	}
}

func (r *routeTimer) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.t != nil {
		r.t.Stop()
	}
}
