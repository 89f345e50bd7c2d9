package translator

import (
	"regexp"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// CORSFilter is the CORS HTTP filter: it applies the CorsPolicy of the
// matched route (typed_per_filter_config), and does nothing on routes
// without one.
func CORSFilter() *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{
		Name:       wellknown.CORS,
		ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: MustAny(&corsv3.Cors{})},
	}
}

// hasCORS reports whether a route has a CORS policy, which its connection
// manager's CORS filter must apply.
func hasCORS(routes []*ir.HTTPRoute) bool {
	for _, r := range routes {
		if r.CORS != nil {
			return true
		}
	}
	return false
}

// setCORS adds r's CORS policy to route as the CORS filter's per-route configuration.
func setCORS(route *routev3.Route, r *ir.HTTPRoute) {
	if r.CORS == nil {
		return
	}
	route.TypedPerFilterConfig = map[string]*anypb.Any{wellknown.CORS: MustAny(CORSPolicy(r.CORS))}
}

// CORSPolicy is the CORS filter's policy of a route. Allowed origins match
// the Origin header exactly, "*" any origin, and a "*" in the host any
// characters there. A preflight request from any other origin is answered
// by the filter (without access-control-allow-origin), not forwarded: it
// is a CORS request, not one for the backend.
func CORSPolicy(c *ir.CORS) *corsv3.CorsPolicy {
	p := &corsv3.CorsPolicy{
		AllowMethods:                 strings.Join(c.AllowMethods, ", "),
		AllowHeaders:                 strings.Join(c.AllowHeaders, ", "),
		ExposeHeaders:                strings.Join(c.ExposeHeaders, ", "),
		MaxAge:                       strconv.Itoa(int(c.MaxAgeSeconds)),
		ForwardNotMatchingPreflights: wrapperspb.Bool(false),
	}
	if c.AllowCredentials {
		p.AllowCredentials = wrapperspb.Bool(true)
	}
	for _, o := range c.AllowOrigins {
		p.AllowOriginStringMatch = append(p.AllowOriginStringMatch, originMatcher(o))
	}
	return p
}

// originMatcher matches an allowed origin.
func originMatcher(origin string) *matcherv3.StringMatcher {
	if !strings.Contains(origin, "*") {
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: origin}}
	}
	parts := strings.Split(origin, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{
		SafeRegex: &matcherv3.RegexMatcher{Regex: strings.Join(parts, ".*")},
	}}
}
