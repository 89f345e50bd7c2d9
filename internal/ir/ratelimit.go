package ir

import (
	"errors"
	"fmt"
	"net/netip"
)

// RateLimitNodeID is the xDS node id the rate limit service presents (its
// CONFIG_GRPC_XDS_NODE_ID, with no node cluster): the infra runs it with this
// id, and the xDS server serves this node the rate limit configuration.
const RateLimitNodeID = "envoy-gateway-ratelimit"

// RouteRateLimit is the rate limits of one route: a request over any of them
// is answered with HTTP 429.
type RouteRateLimit struct {
	// Global are counted by the rate limit service (Xds.GlobalRateLimit),
	// across every proxy.
	Global []*RateLimitRule `json:"global,omitempty"`
	// Local are counted by each proxy on its own.
	Local []*RateLimitRule `json:"local,omitempty"`
}

// RateLimitRule is one limit and the requests it counts.
type RateLimitRule struct {
	// Name identifies the rule: the same name is the same counter wherever
	// the rule appears (every match, hostname and listener of one HTTPRoute
	// rule), so it is unique to the HTTPRoute rule and the filter's rule:
	// "httproute/<ns>/<name>/rule/<i>/filter/<k>/limit/<j>".
	Name string `json:"name"`
	// Selectors select the requests the rule counts; all must hold. None
	// means every request of the route, counted together.
	Selectors []*RateLimitSelector `json:"selectors,omitempty"`
	// Limit is how many requests pass per unit.
	Limit RateLimitValue `json:"limit"`
}

// RateLimitSelector selects requests by a header (Header set) or by the
// client's source address (CIDR set).
type RateLimitSelector struct {
	// Header is the lower-case name of the request header.
	Header string `json:"header,omitempty"`
	// Value is the header value an exact header selector matches.
	Value string `json:"value,omitempty"`
	// CIDR is the masked source prefix, "10.0.0.0/8" or "2001:db8::/32".
	CIDR string `json:"cidr,omitempty"`
	// Distinct counts each header value, or each source address of the
	// CIDR, on its own; otherwise the selected requests share one counter.
	Distinct bool `json:"distinct,omitempty"`
}

// RateLimitUnit is the period a limit counts over.
type RateLimitUnit string

// The units of a RateLimitValue.
const (
	RateLimitSecond RateLimitUnit = "Second"
	RateLimitMinute RateLimitUnit = "Minute"
	RateLimitHour   RateLimitUnit = "Hour"
	RateLimitDay    RateLimitUnit = "Day"
)

// RateLimitValue is a number of requests per unit.
type RateLimitValue struct {
	Requests uint32        `json:"requests"`
	Unit     RateLimitUnit `json:"unit"`
}

// GlobalRateLimit is the rate limit service a fleet's proxies ask about
// the requests of routes with global rate limits. It is set on a fleet only
// when one of its routes has one.
type GlobalRateLimit struct {
	// Domain is the rate limit domain of every descriptor.
	Domain string `json:"domain"`
	// Host and Port address the service's gRPC port (a DNS name or an IP
	// address); Pipe, instead, is the path of its gRPC unix socket.
	Host string `json:"host,omitempty"`
	Port uint32 `json:"port,omitempty"`
	Pipe string `json:"pipe,omitempty"`
	// Timeout bounds the wait for the service's answer.
	Timeout Duration `json:"timeout"`
	// FailClosed answers HTTP 500 when the service fails to answer;
	// otherwise the request goes on.
	FailClosed bool `json:"failClosed,omitempty"`
}

// Validate checks the service address.
func (g *GlobalRateLimit) Validate() error {
	switch {
	case g.Domain == "":
		return errors.New("domain is empty")
	case (g.Host == "") == (g.Pipe == ""):
		return errors.New("exactly one of host and pipe must be set")
	case g.Host != "" && (g.Port == 0 || g.Port > 65535):
		return fmt.Errorf("port %d is out of range 1-65535", g.Port)
	case g.Timeout <= 0:
		return errors.New("timeout must be positive")
	}
	return nil
}

// validateGlobalRateLimit checks that the rate limit service is set, and
// valid, exactly when a route has global rate limits.
func (x *Xds) validateGlobalRateLimit() []error {
	used := x.UsesGlobalRateLimit()
	switch {
	case x.GlobalRateLimit == nil && used:
		return []error{errors.New("globalRateLimit is not set, but routes have global rate limits")}
	case x.GlobalRateLimit != nil && !used:
		return []error{errors.New("globalRateLimit is set, but no route has global rate limits")}
	case x.GlobalRateLimit != nil:
		if err := x.GlobalRateLimit.Validate(); err != nil {
			return []error{fmt.Errorf("globalRateLimit: %w", err)}
		}
	}
	return nil
}

// UsesGlobalRateLimit reports whether a route of the fleet has global rate limits.
func (x *Xds) UsesGlobalRateLimit() bool {
	for _, l := range x.HTTP {
		for _, r := range l.Routes {
			if r.RateLimit != nil && len(r.RateLimit.Global) > 0 {
				return true
			}
		}
	}
	return false
}

// validate checks the route's rules; names must be unique within the route.
func (r *RouteRateLimit) validate() error {
	names := map[string]bool{}
	lists := []struct {
		kind  string
		rules []*RateLimitRule
	}{{"global", r.Global}, {"local", r.Local}}
	for _, l := range lists {
		for i, rule := range l.rules {
			if err := rule.validate(); err != nil {
				return fmt.Errorf("%s[%d]: %w", l.kind, i, err)
			}
			if names[rule.Name] {
				return fmt.Errorf("%s[%d]: duplicate name %q", l.kind, i, rule.Name)
			}
			names[rule.Name] = true
		}
	}
	return nil
}

func (r *RateLimitRule) validate() error {
	if r.Name == "" {
		return errors.New("name is empty")
	}
	if r.Limit.Requests == 0 {
		return errors.New("limit.requests is 0")
	}
	if _, ok := RateLimitUnitSeconds[r.Limit.Unit]; !ok {
		return fmt.Errorf("limit.unit %q is not Second, Minute, Hour or Day", r.Limit.Unit)
	}
	for i, s := range r.Selectors {
		if err := s.validate(); err != nil {
			return fmt.Errorf("selectors[%d]: %w", i, err)
		}
	}
	return nil
}

func (s *RateLimitSelector) validate() error {
	switch {
	case (s.Header == "") == (s.CIDR == ""):
		return errors.New("exactly one of header and cidr must be set")
	case s.Header != "" && !s.Distinct && s.Value == "":
		return errors.New("an exact header selector needs a value")
	case s.Header != "" && s.Distinct && s.Value != "":
		return errors.New("a distinct header selector has no value")
	case s.CIDR != "":
		p, err := netip.ParsePrefix(s.CIDR)
		if err != nil {
			return fmt.Errorf("cidr: %w", err)
		}
		if p.Masked() != p {
			return fmt.Errorf("cidr %q is not masked (%s)", s.CIDR, p.Masked())
		}
	}
	return nil
}

// RateLimitUnitSeconds is the length of each unit in seconds.
var RateLimitUnitSeconds = map[RateLimitUnit]int64{
	RateLimitSecond: 1,
	RateLimitMinute: 60,
	RateLimitHour:   3600,
	RateLimitDay:    86400,
}
