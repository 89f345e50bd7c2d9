package hcm

import (
	"fmt"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/grpc"

	"github.com/envoygw/envoy-gateway/test/dataplane/ratelimit"
	"github.com/envoygw/envoy-gateway/test/dataplane/router"
	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
)

// rateLimitFilter is a rate limit HTTP filter of the chain: exactly one
// of local and global is set.
type rateLimitFilter struct {
	local  *ratelimit.Local
	global *ratelimit.Global
}

// compileRateLimitFilter compiles the local or global rate limit filter.
func compileRateLimitFilter(f *hcmv3.HttpFilter, path string) (rateLimitFilter, error) {
	at := path + ".typed_config"
	if f.GetName() == strict.LocalRateLimitName {
		c := &localratelimitv3.LocalRateLimit{}
		if err := f.GetTypedConfig().UnmarshalTo(c); err != nil {
			return rateLimitFilter{}, fmt.Errorf("%s: %w", at, err)
		}
		l, err := ratelimit.CompileLocal(c, false, nil,
			at+".(envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit)")
		return rateLimitFilter{local: l}, err
	}
	c := &ratelimitv3.RateLimit{}
	if err := f.GetTypedConfig().UnmarshalTo(c); err != nil {
		return rateLimitFilter{}, fmt.Errorf("%s: %w", at, err)
	}
	g, err := ratelimit.CompileGlobal(c, at+".(envoy.extensions.filters.http.ratelimit.v3.RateLimit)")
	return rateLimitFilter{global: g}, err
}

// GRPCConns gives the gRPC connection to a cluster (envoy_grpc), dialing
// its hosts as the cluster manager says at each connection.
type GRPCConns func(cluster string) grpc.ClientConnInterface

// rateLimit runs the rate limit filters in chain order for the routed
// request; answered is true when one of them replied.
func (s *stream) rateLimit(req *router.Request, d *router.Decision) (answered bool) {
	for _, f := range s.h.cfg.rateLimits {
		if f.local != nil {
			if s.localRateLimit(f.local, req, d) {
				return true
			}
			continue
		}
		if s.globalRateLimit(f.global, req, d) {
			return true
		}
	}
	return false
}

// localRateLimit runs the local rate limit filter with the route's
// configuration, else the filter's.
func (s *stream) localRateLimit(l *ratelimit.Local, req *router.Request, d *router.Decision) bool {
	if perRoute, ok := d.PerFilter[strict.LocalRateLimitName].(*ratelimit.Local); ok {
		l = perRoute
	}
	var routeLimits []*router.RateLimitPolicy
	if d.Forward != nil {
		routeLimits = d.Forward.RateLimits
	}
	status, limited := l.Check(req, routeLimits)
	if !limited {
		return false
	}
	drain(s.r)
	s.reply(status, ratelimit.LocalLimitedBody, nil)
	return true
}

// globalRateLimit runs the rate limit filter: only a request forwarded to
// a cluster the proxy has, with descriptors, asks the service.
func (s *stream) globalRateLimit(g *ratelimit.Global, req *router.Request, d *router.Decision) bool {
	f := d.Forward
	if f == nil || s.h.deps.Clusters(f.Cluster) == nil {
		return false
	}
	descriptors := router.Descriptors(f.RateLimits, req)
	if len(descriptors) == 0 {
		return false
	}
	var res ratelimit.Result
	if s.h.deps.Clusters(g.Cluster) == nil || s.h.deps.GRPC == nil {
		res = ratelimit.Result{Status: ratelimit.StatusError, Err: fmt.Errorf("cluster %q not found", g.Cluster)}
	} else {
		res = g.Call(s.r.Context(), s.h.deps.GRPC(g.Cluster), descriptors)
	}
	switch res.Status {
	case ratelimit.StatusOverLimit:
		drain(s.r)
		s.reply(429, string(res.Body), func(h router.Headers) {
			addServiceHeaders(h, res, true)
			h.Set("x-envoy-ratelimited", "true")
		})
		return true
	case ratelimit.StatusError:
		s.h.deps.Logger.V(1).Info("rate limit service call failed", "cluster", g.Cluster, "error", res.Err)
		if g.FailureModeDeny {
			drain(s.r)
			s.reply(500, string(res.Body), nil)
			return true
		}
		return false
	}
	// The service's request headers are added to the upstream request.
	// Envoy adds them before the router's header mutations; here the route
	// was decided (and its mutations applied) before the filters run, so a
	// route mutation of the same header would apply in the other order
	// (the rate limit service as we configure it sends none of these
	// headers, so the order never shows).
	for _, hv := range res.RequestHeaders {
		f.Headers.Add(hv.GetKey(), hv.GetValue())
	}
	if len(res.ResponseHeaders) > 0 {
		mutate := f.MutateResponse
		f.MutateResponse = func(h router.Headers) {
			if mutate != nil {
				mutate(h)
			}
			addServiceHeaders(h, res, false)
		}
	}
	return false
}

// addServiceHeaders adds the service's response headers; in a local reply
// a content-type from the service replaces the reply's.
func addServiceHeaders(h router.Headers, res ratelimit.Result, localReply bool) {
	if localReply && slices.ContainsFunc(res.ResponseHeaders, func(hv *corev3.HeaderValue) bool {
		return strings.EqualFold(hv.GetKey(), "content-type")
	}) {
		h.Del("content-type")
	}
	for _, hv := range res.ResponseHeaders {
		h.Add(hv.GetKey(), hv.GetValue())
	}
}
