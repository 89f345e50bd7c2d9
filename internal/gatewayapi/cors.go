package gatewayapi

import (
	"regexp"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// defaultCORSMaxAge is Access-Control-Max-Age when the filter sets none
// (the CRD's default, which the API server fills in).
const defaultCORSMaxAge = 5

// corsOrigin is the CRD's pattern of an allowed origin.
var corsOrigin = regexp.MustCompile(`(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)`)

// buildCORSFilter converts a CORS filter.
func buildCORSFilter(_ *translator, in filterInput, out *ruleFilters) {
	f := in.f.CORS
	if f == nil {
		out.invalid.add(missingFilterConfig(in, "cors"))
		return
	}
	c, err := corsPolicy(in.path.Child("cors"), f)
	if err != nil {
		out.invalid.add(err)
		return
	}
	out.cors = c
}

// corsPolicy validates a CORS filter whose field path is path.
func corsPolicy(path fieldPath, f *gwapiv1.HTTPCORSFilter) (*ir.CORS, *routeError) {
	c := &ir.CORS{MaxAgeSeconds: defaultCORSMaxAge, AllowCredentials: f.AllowCredentials != nil && *f.AllowCredentials}
	if f.MaxAge != 0 {
		if f.MaxAge < 0 {
			return nil, unsupportedAt(path.Child("maxAge"), "maxAge %d is negative", f.MaxAge)
		}
		c.MaxAgeSeconds = f.MaxAge
	}
	for i, o := range f.AllowOrigins {
		if !corsOrigin.MatchString(string(o)) {
			return nil, unsupportedAt(path.Child("allowOrigins").Index(i), "origin %q is not \"*\" or <scheme>://<host>[:<port>]", o)
		}
		c.AllowOrigins = append(c.AllowOrigins, string(o))
	}
	for i, m := range f.AllowMethods {
		if m != "*" && !validMethod(gwapiv1.HTTPMethod(m)) {
			return nil, unsupportedAt(path.Child("allowMethods").Index(i), "method %q is not supported", m)
		}
		c.AllowMethods = append(c.AllowMethods, string(m))
	}
	var err *routeError
	if c.AllowHeaders, err = corsHeaders(path.Child("allowHeaders"), f.AllowHeaders); err != nil {
		return nil, err
	}
	if c.ExposeHeaders, err = corsHeaders(path.Child("exposeHeaders"), f.ExposeHeaders); err != nil {
		return nil, err
	}
	return c, nil
}

// corsHeaders checks header names, or "*".
func corsHeaders(path fieldPath, names []gwapiv1.HTTPHeaderName) ([]string, *routeError) {
	out := make([]string, 0, len(names))
	for i, n := range names {
		if n == "*" {
			out = append(out, "*")
			continue
		}
		if err := checkHeaderName(path.Index(i), strings.ToLower(string(n))); err != nil {
			return nil, err
		}
		out = append(out, string(n))
	}
	return out, nil
}
