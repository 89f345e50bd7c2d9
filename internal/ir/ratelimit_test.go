package ir

import (
	"strings"
	"testing"
	"time"
)

func limitedRoute(rl *RouteRateLimit) *HTTPRoute {
	return &HTTPRoute{Name: "r", Hostname: "*", DirectResponse: &DirectResponse{StatusCode: 200}, RateLimit: rl}
}

func TestRouteRateLimitValidate(t *testing.T) {
	perSecond := RateLimitValue{Requests: 1, Unit: RateLimitSecond}
	cases := []struct {
		name string
		rl   *RouteRateLimit
		want string // "" means valid
	}{
		{"valid", &RouteRateLimit{
			Global: []*RateLimitRule{{Name: "a", Limit: perSecond, Selectors: []*RateLimitSelector{
				{Header: "x", Value: "v"}, {Header: "y", Distinct: true}, {CIDR: "10.0.0.0/8", Distinct: true},
			}}},
			Local: []*RateLimitRule{{Name: "b", Limit: perSecond, Selectors: []*RateLimitSelector{{CIDR: "::/0"}}}},
		}, ""},
		{"no name", &RouteRateLimit{Global: []*RateLimitRule{{Limit: perSecond}}}, "global[0]: name is empty"},
		{"duplicate name", &RouteRateLimit{Global: []*RateLimitRule{{Name: "a", Limit: perSecond}}, Local: []*RateLimitRule{{Name: "a", Limit: perSecond}}},
			`local[0]: duplicate name "a"`},
		{"zero requests", &RouteRateLimit{Local: []*RateLimitRule{{Name: "a", Limit: RateLimitValue{Unit: RateLimitDay}}}}, "limit.requests is 0"},
		{"bad unit", &RouteRateLimit{Local: []*RateLimitRule{{Name: "a", Limit: RateLimitValue{Requests: 1, Unit: "Week"}}}}, `limit.unit "Week"`},
		{"empty selector", &RouteRateLimit{Global: []*RateLimitRule{{Name: "a", Limit: perSecond, Selectors: []*RateLimitSelector{{}}}}},
			"selectors[0]: exactly one of header and cidr"},
		{"exact header without value", &RouteRateLimit{Global: []*RateLimitRule{{Name: "a", Limit: perSecond, Selectors: []*RateLimitSelector{{Header: "x"}}}}},
			"needs a value"},
		{"distinct header with value", &RouteRateLimit{Global: []*RateLimitRule{{Name: "a", Limit: perSecond, Selectors: []*RateLimitSelector{{Header: "x", Value: "v", Distinct: true}}}}},
			"has no value"},
		{"unmasked cidr", &RouteRateLimit{Global: []*RateLimitRule{{Name: "a", Limit: perSecond, Selectors: []*RateLimitSelector{{CIDR: "10.1.0.0/8"}}}}},
			"not masked (10.0.0.0/8)"},
		{"bad cidr", &RouteRateLimit{Global: []*RateLimitRule{{Name: "a", Limit: perSecond, Selectors: []*RateLimitSelector{{CIDR: "nope"}}}}}, "cidr:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := limitedRoute(tc.rl).Validate(nil)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestXdsGlobalRateLimitValidate(t *testing.T) {
	service := &GlobalRateLimit{Domain: "d", Host: "rls", Port: 8081, Timeout: Duration(time.Second)}
	withGlobal := &HTTPListener{Name: "l", Address: "0.0.0.0", Port: 80, Hostnames: []string{"*"}, Routes: []*HTTPRoute{
		limitedRoute(&RouteRateLimit{Global: []*RateLimitRule{{Name: "a", Limit: RateLimitValue{Requests: 1, Unit: RateLimitSecond}}}}),
	}}
	withLocal := &HTTPListener{Name: "l", Address: "0.0.0.0", Port: 80, Hostnames: []string{"*"}, Routes: []*HTTPRoute{
		limitedRoute(&RouteRateLimit{Local: []*RateLimitRule{{Name: "a", Limit: RateLimitValue{Requests: 1, Unit: RateLimitSecond}}}}),
	}}
	cases := []struct {
		name string
		x    *Xds
		want string
	}{
		{"global routes and service", &Xds{HTTP: []*HTTPListener{withGlobal}, GlobalRateLimit: service}, ""},
		{"local routes only", &Xds{HTTP: []*HTTPListener{withLocal}}, ""},
		{"global routes without service", &Xds{HTTP: []*HTTPListener{withGlobal}}, "globalRateLimit is not set"},
		{"service without global routes", &Xds{HTTP: []*HTTPListener{withLocal}, GlobalRateLimit: service}, "no route has global rate limits"},
		{"pipe service", &Xds{HTTP: []*HTTPListener{withGlobal}, GlobalRateLimit: &GlobalRateLimit{Domain: "d", Pipe: "/run/rls.sock", Timeout: 1}}, ""},
		{"host and pipe", &Xds{HTTP: []*HTTPListener{withGlobal}, GlobalRateLimit: &GlobalRateLimit{Domain: "d", Host: "h", Port: 1, Pipe: "/p", Timeout: 1}},
			"exactly one of host and pipe"},
		{"no port", &Xds{HTTP: []*HTTPListener{withGlobal}, GlobalRateLimit: &GlobalRateLimit{Domain: "d", Host: "h", Timeout: 1}}, "port 0"},
		{"no domain", &Xds{HTTP: []*HTTPListener{withGlobal}, GlobalRateLimit: &GlobalRateLimit{Host: "h", Port: 1, Timeout: 1}}, "domain is empty"},
		{"no timeout", &Xds{HTTP: []*HTTPListener{withGlobal}, GlobalRateLimit: &GlobalRateLimit{Domain: "d", Host: "h", Port: 1}}, "timeout must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.x.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
