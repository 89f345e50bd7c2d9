package hcm

import (
	"fmt"
	"net/http"

	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// compileCORS checks the CORS filter (whose path is p): a non-terminal
// filter with an empty Cors config, once.
func (c *Config) compileCORS(f *hcmv3.HttpFilter, p string, last bool) error {
	switch {
	case last:
		return fmt.Errorf("%s: invalid: non-terminal filter named %s is the last filter in a http filter chain",
			p, f.GetName())
	case c.cors:
		return fmt.Errorf("%s: not implemented by the test data plane: a second CORS filter", p)
	case len(c.rateLimits) > 0:
		return fmt.Errorf("%s: not implemented by the test data plane: the CORS filter after a rate limit filter", p)
	}
	if err := f.GetTypedConfig().UnmarshalTo(&corsv3.Cors{}); err != nil {
		return fmt.Errorf("%s.typed_config: %w", p, err)
	}
	c.cors = true
	return nil
}

// corsState is the CORS filter's state for one request whose matched
// route has a policy: the policy, and the origin when it is allowed.
type corsState struct {
	policy *router.CORSPolicy
	// origin is the request's Origin when the policy allows it ("" when
	// not: responses are then left alone).
	origin string
}

// corsDecode is the CORS filter's decodeHeaders: for a request with an
// Origin header on a route with a policy, it returns the state that
// encodeHeaders uses, and answers a preflight request (OPTIONS with
// access-control-request-method) itself (true): from an allowed origin
// with the CORS headers, from another origin without
// access-control-allow-origin, unless forward_not_matching_preflights
// (the default) sends it on to the route.
func (s *stream) corsDecode(d *router.Decision, req router.Headers) (*corsState, bool) {
	if !s.h.cfg.cors || d.CORS == nil {
		return nil, false
	}
	origin := req.Get("origin")
	if origin == "" {
		return nil, false
	}
	st := &corsState{policy: d.CORS}
	if d.CORS.OriginAllowed(origin) {
		st.origin = origin
	}
	if s.r.Method != http.MethodOptions || req.Get("access-control-request-method") == "" {
		return st, false
	}
	p := d.CORS
	if st.origin == "" && p.ForwardNotMatchingPreflights {
		return st, false
	}
	drain(s.r)
	s.reply(http.StatusOK, "", func(h router.Headers) {
		if st.origin != "" {
			h.Set("access-control-allow-origin", origin)
		}
		if p.AllowCredentials {
			h.Set("access-control-allow-credentials", "true")
		}
		setWildcard(h, "access-control-allow-methods", p.AllowMethods, req.Get("access-control-request-method"))
		setWildcard(h, "access-control-allow-headers", p.AllowHeaders, req.Get("access-control-request-headers"))
		if p.MaxAge != "" {
			h.Set("access-control-max-age", p.MaxAge)
		}
		// The filter's own local reply goes through its encodeHeaders too.
		st.encode(h)
	})
	return st, true
}

// setWildcard sets a preflight header to the policy's value, or to what
// the request asked for when the value is "*"; nothing when empty.
func setWildcard(h router.Headers, name, value, requested string) {
	switch value {
	case "":
	case "*":
		h.Set(name, requested)
	default:
		h.Set(name, value)
	}
}

// encode is the CORS filter's encodeHeaders: the response to a request
// from an allowed origin gets access-control-allow-origin (the origin),
// access-control-allow-credentials and access-control-expose-headers.
func (st *corsState) encode(h router.Headers) {
	if st == nil || st.origin == "" {
		return
	}
	h.Set("access-control-allow-origin", st.origin)
	if st.policy.AllowCredentials {
		h.Set("access-control-allow-credentials", "true")
	}
	if st.policy.ExposeHeaders != "" {
		h.Set("access-control-expose-headers", st.policy.ExposeHeaders)
	}
}

// withCORS runs the route's response mutations, then the CORS filter's
// encodeHeaders (which comes after the router on the way back).
func withCORS(mutate func(router.Headers), st *corsState) func(router.Headers) {
	if st == nil {
		return mutate
	}
	return func(h router.Headers) {
		if mutate != nil {
			mutate(h)
		}
		st.encode(h)
	}
}
