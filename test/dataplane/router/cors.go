package router

import (
	"fmt"
	"slices"

	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// CORSFilterName is the CORS filter's name, the key of its per-route
// configuration in typed_per_filter_config.
const CORSFilterName = "envoy.filters.http.cors"

// CORSPolicy is a compiled CorsPolicy (per-route configuration of the CORS
// filter). The CORS filter (package hcm) applies it; the router only
// carries it to the matched route's Decision.
type CORSPolicy struct {
	origins []stringMatch
	// AllowMethods, AllowHeaders, ExposeHeaders and MaxAge are the
	// policy's strings, sent as they are ("*" methods and headers: what
	// the preflight asks for).
	AllowMethods, AllowHeaders, ExposeHeaders, MaxAge string
	AllowCredentials                                  bool
	// ForwardNotMatchingPreflights (default true) sends preflight
	// requests from origins not allowed on to the route; when false the
	// filter answers them itself.
	ForwardNotMatchingPreflights bool
}

// OriginAllowed is the filter's isOriginAllowed: an allowed origin
// matcher matches "*" or the origin.
func (p *CORSPolicy) OriginAllowed(origin string) bool {
	return slices.ContainsFunc(p.origins, func(m stringMatch) bool { return m("*") || m(origin) })
}

// compileCORSPerFilter compiles the CORS filter's entry of a route's
// typed_per_filter_config (package strict has already checked its type).
func compileCORSPerFilter(a *anypb.Any, path string) (*CORSPolicy, error) {
	c := &corsv3.CorsPolicy{}
	if err := a.UnmarshalTo(c); err != nil {
		return nil, fmt.Errorf("%s: not implemented by the test data plane: %v", path, err)
	}
	inner := path + ".(envoy.extensions.filters.http.cors.v3.CorsPolicy)"
	if err := checkFields(c.ProtoReflect(), inner); err != nil {
		return nil, err
	}
	return compileCORSPolicy(c, inner)
}

func compileCORSPolicy(c *corsv3.CorsPolicy, path string) (*CORSPolicy, error) {
	if err := c.ValidateAll(); err != nil {
		return nil, fmt.Errorf("%s: invalid: %w", path, err)
	}
	p := &CORSPolicy{
		AllowMethods: c.GetAllowMethods(), AllowHeaders: c.GetAllowHeaders(),
		ExposeHeaders: c.GetExposeHeaders(), MaxAge: c.GetMaxAge(),
		AllowCredentials: c.GetAllowCredentials().GetValue(),
		ForwardNotMatchingPreflights: c.GetForwardNotMatchingPreflights() == nil ||
			c.GetForwardNotMatchingPreflights().GetValue(),
	}
	for i, m := range c.GetAllowOriginStringMatch() {
		sm, err := compileStringMatcher(m, fmt.Sprintf("%s.allow_origin_string_match[%d]", path, i))
		if err != nil {
			return nil, err
		}
		p.origins = append(p.origins, sm)
	}
	return p, nil
}
