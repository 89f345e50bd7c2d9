package hcm

import (
	"errors"
	"fmt"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	healthcheckv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/envoygw/envoy-gateway/test/dataplane/ratelimit"
	"github.com/envoygw/envoy-gateway/test/dataplane/router"
	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
)

// Codec is the HCM's codec_type.
type Codec int

// Codecs.
const (
	CodecAuto Codec = iota
	CodecHTTP1
	CodecHTTP2
)

// Config is a compiled HttpConnectionManager.
type Config struct {
	StatPrefix string
	Codec      Codec
	// RDSName names the route configuration to take over RDS; empty when
	// the HCM carries its route_config inline (Static).
	RDSName string
	Static  *router.Table

	healthCheck *healthCheck
	// rateLimits are the rate limit filters, in chain order.
	rateLimits []rateLimitFilter
	// cors is set when the CORS filter is in the chain: it applies the
	// CORS policy of the matched route (cors.go).
	cors bool
	// upgrades are the upgrade types upgrade_configs lets through, lower-case.
	upgrades             []string
	suppressEnvoyHeaders bool
	useRemoteAddress     bool
	normalizePath        bool
	mergeSlashes         bool
	escapedSlashes       hcmv3.HttpConnectionManager_PathWithEscapedSlashesAction
}

// Compile validates an HttpConnectionManager (whose fields package
// strict accepted) with Envoy's semantics. path prefixes error messages.
func Compile(h *hcmv3.HttpConnectionManager, path string) (*Config, error) {
	c := &Config{
		StatPrefix:       h.GetStatPrefix(),
		useRemoteAddress: h.GetUseRemoteAddress().GetValue(),
		normalizePath:    h.GetNormalizePath().GetValue(),
		mergeSlashes:     h.GetMergeSlashes(),
		escapedSlashes:   h.GetPathWithEscapedSlashesAction(),
	}
	switch h.GetCodecType() {
	case hcmv3.HttpConnectionManager_HTTP1:
		c.Codec = CodecHTTP1
	case hcmv3.HttpConnectionManager_HTTP2:
		c.Codec = CodecHTTP2
	}
	if c.escapedSlashes == hcmv3.HttpConnectionManager_IMPLEMENTATION_SPECIFIC_DEFAULT {
		// The runtime default (http_connection_manager.path_with_escaped_slashes_action).
		c.escapedSlashes = hcmv3.HttpConnectionManager_KEEP_UNCHANGED
	}
	switch rs := h.GetRouteSpecifier().(type) {
	case *hcmv3.HttpConnectionManager_Rds:
		if rs.Rds.GetConfigSource().GetAds() == nil {
			return nil, fmt.Errorf("%s.rds.config_source: not implemented by the test data plane: only ads", path)
		}
		c.RDSName = rs.Rds.GetRouteConfigName()
	case *hcmv3.HttpConnectionManager_RouteConfig:
		t, err := router.CompileWith(rs.RouteConfig, RouteOptions())
		if err != nil {
			return nil, fmt.Errorf("%s.route_config.%w", path, err)
		}
		c.Static = t
	default:
		return nil, fmt.Errorf("%s: invalid: no route_config or rds", path)
	}
	if err := c.compileUpgrades(h.GetUpgradeConfigs(), path+".upgrade_configs"); err != nil {
		return nil, err
	}
	if err := c.compileFilters(h.GetHttpFilters(), path+".http_filters"); err != nil {
		return nil, err
	}
	return c, nil
}

// RouteOptions are the options route configurations are compiled with:
// the route configurations of the HTTP filters implemented here.
func RouteOptions() router.CompileOptions {
	return router.CompileOptions{PerFilterConfig: ratelimit.PerRouteCompiler(nil)}
}

// compileFilters checks the filter chain as Envoy: the router is the
// last filter and only there (an empty chain gets the router by
// default); health_check may precede it.
func (c *Config) compileFilters(filters []*hcmv3.HttpFilter, path string) error {
	if len(filters) == 0 {
		return nil // Envoy adds the router.
	}
	for i, f := range filters {
		p := fmt.Sprintf("%s[%d]", path, i)
		last := i == len(filters)-1
		switch f.GetName() {
		case strict.RouterName:
			if !last {
				return fmt.Errorf("%s: invalid: terminal filter named %s must be the last filter in a http filter chain",
					p, f.GetName())
			}
			r := &routerv3.Router{}
			if err := f.GetTypedConfig().UnmarshalTo(r); err != nil {
				return fmt.Errorf("%s.typed_config: %w", p, err)
			}
			c.suppressEnvoyHeaders = r.GetSuppressEnvoyHeaders()
		case strict.HealthCheckName:
			if last {
				return fmt.Errorf("%s: invalid: non-terminal filter named %s is the last filter in a http filter chain",
					p, f.GetName())
			}
			if c.healthCheck != nil {
				return fmt.Errorf("%s: not implemented by the test data plane: a second health_check filter", p)
			}
			hc := &healthcheckv3.HealthCheck{}
			if err := f.GetTypedConfig().UnmarshalTo(hc); err != nil {
				return fmt.Errorf("%s.typed_config: %w", p, err)
			}
			compiled, err := compileHealthCheck(hc,
				p+".typed_config.(envoy.extensions.filters.http.health_check.v3.HealthCheck)")
			if err != nil {
				return err
			}
			c.healthCheck = compiled
		case strict.LocalRateLimitName, strict.RateLimitName:
			if last {
				return fmt.Errorf("%s: invalid: non-terminal filter named %s is the last filter in a http filter chain",
					p, f.GetName())
			}
			rl, err := compileRateLimitFilter(f, p)
			if err != nil {
				return err
			}
			c.rateLimits = append(c.rateLimits, rl)
		case strict.CORSName:
			if err := c.compileCORS(f, p, last); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: filter %q is not implemented by the test data plane", p, f.GetName())
		}
	}
	return nil
}

// healthCheck is the health_check filter in non-pass-through mode: a
// request matching every header matcher is answered by the filter.
type healthCheck struct {
	// match is a one-route table whose route matches the filter's headers
	// (the router's HeaderMatcher semantics, pseudo-headers included).
	match *router.Table
}

const healthCheckRoute = "health_check"

func compileHealthCheck(hc *healthcheckv3.HealthCheck, path string) (*healthCheck, error) {
	if hc.GetPassThroughMode().GetValue() {
		return nil, fmt.Errorf("%s.pass_through_mode: true is not implemented by the test data plane", path)
	}
	rc := &routev3.RouteConfiguration{VirtualHosts: []*routev3.VirtualHost{{
		Name: healthCheckRoute, Domains: []string{"*"},
		Routes: []*routev3.Route{{
			Name:   healthCheckRoute,
			Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: ""}, Headers: hc.GetHeaders()},
			Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 200}},
		}},
	}}}
	t, err := router.Compile(rc)
	if err != nil {
		return nil, errors.New(strings.Replace(err.Error(), "virtual_hosts[0].routes[0].match.headers", path+".headers", 1))
	}
	return &healthCheck{match: t}, nil
}

// matches reports whether the request is a health check.
func (h *healthCheck) matches(req *router.Request) bool {
	d := h.match.Route(req, zeroRand{})
	return d.RouteName == healthCheckRoute
}

type zeroRand struct{}

func (zeroRand) Uint64() uint64 { return 0 }
