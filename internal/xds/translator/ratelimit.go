package translator

import (
	"fmt"
	"math"
	"net/netip"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	ratelimitconfv3 "github.com/envoyproxy/go-control-plane/envoy/config/ratelimit/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	commonratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Rate limiting. Each IR rate limit rule becomes one rate limit descriptor,
// produced by the same actions for global and local limits:
//
//   - generic_key ("rule", <rule name>): which rule it is. Rule names are
//     unique per HTTPRoute rule and filter rule, so counters are never shared
//     between rules, and are the same on every route built from one
//     HTTPRoute rule, so its matches, hostnames and listeners share them.
//   - per selector, in order: an exact header selector is a
//     header_value_match ("header-<i>", "match") that only matching requests
//     produce; a distinct one a request_headers ("header-<i>", <value>) that
//     requests without the header do not produce; a source CIDR a
//     masked_remote_address ("masked_remote_address", <client address masked
//     to the CIDR's length>), followed for a distinct one by a remote_address
//     ("remote_address", <client address>).
//
// Envoy sends a descriptor only when every action produces its entry, so a
// request is counted by a rule only when all its selectors hold. Keys are
// positional: no user-controlled text is ever part of a descriptor key or of
// a configured value, so none can collide or be taken for a rate limit
// service wildcard ("*").
//
// Global descriptors go in the route's rate_limits and are sent to the rate
// limit service, whose configuration (RateLimitConfig) holds the same tree:
// the rule, then each entry, the limit on the last one, with no value where
// the entry is distinct (any value, each counted on its own). Local ones go
// in the route's per-filter local_ratelimit configuration, with a token
// bucket per descriptor; distinct entries have an empty value there too,
// which Envoy treats as a wildcard with a bucket per value (LRU of
// maxDynamicDescriptors).

// Names and keys of the rate limit configuration.
const (
	// RateLimitClusterName is the cluster of the rate limit service.
	RateLimitClusterName = "ratelimit"
	// RuleDescriptorKey is the key of the first entry of every descriptor.
	RuleDescriptorKey = "rule"
	// headerMatchValue is the value of an exact header selector's entry.
	headerMatchValue = "match"
	// maskedRemoteAddressKey and remoteAddressKey are the keys Envoy gives
	// the entries of masked_remote_address and remote_address.
	maskedRemoteAddressKey = "masked_remote_address"
	remoteAddressKey       = "remote_address"

	rateLimitStatPrefix      = "ratelimit"
	localRateLimitStatPrefix = "local_ratelimit"
	// maxDynamicDescriptors bounds the buckets Envoy keeps per distinct
	// local descriptor (one per header value or client address).
	maxDynamicDescriptors = 10000
)

// HeaderDescriptorKey is the descriptor key of the selector at index i.
func HeaderDescriptorKey(i int) string { return fmt.Sprintf("header-%d", i) }

// RateLimitActions are the actions producing a rule's descriptor.
func RateLimitActions(r *ir.RateLimitRule) []*routev3.RateLimit_Action {
	actions := []*routev3.RateLimit_Action{{ActionSpecifier: &routev3.RateLimit_Action_GenericKey_{
		GenericKey: &routev3.RateLimit_Action_GenericKey{DescriptorKey: RuleDescriptorKey, DescriptorValue: r.Name},
	}}}
	for i, s := range r.Selectors {
		switch {
		case s.Header != "" && s.Distinct:
			actions = append(actions, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_RequestHeaders_{
				RequestHeaders: &routev3.RateLimit_Action_RequestHeaders{HeaderName: s.Header, DescriptorKey: HeaderDescriptorKey(i)},
			}})
		case s.Header != "":
			actions = append(actions, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_HeaderValueMatch_{
				HeaderValueMatch: &routev3.RateLimit_Action_HeaderValueMatch{
					DescriptorKey:   HeaderDescriptorKey(i),
					DescriptorValue: headerMatchValue,
					ExpectMatch:     wrapperspb.Bool(true),
					Headers: []*routev3.HeaderMatcher{{
						Name: s.Header,
						HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
							MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s.Value},
						}},
					}},
				},
			}})
		default:
			actions = append(actions, maskedRemoteAddress(s.CIDR))
			if s.Distinct {
				actions = append(actions, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_RemoteAddress_{
					RemoteAddress: &routev3.RateLimit_Action_RemoteAddress{},
				}})
			}
		}
	}
	return actions
}

// maskedRemoteAddress masks client addresses of the CIDR's family to its
// length, and those of the other family not at all (so they never match).
func maskedRemoteAddress(cidr string) *routev3.RateLimit_Action {
	m := &routev3.RateLimit_Action_MaskedRemoteAddress{V4PrefixMaskLen: wrapperspb.UInt32(32), V6PrefixMaskLen: wrapperspb.UInt32(128)}
	if p, err := netip.ParsePrefix(cidr); err == nil {
		if p.Addr().Is4() {
			m.V4PrefixMaskLen = wrapperspb.UInt32(uint32(p.Bits()))
		} else {
			m.V6PrefixMaskLen = wrapperspb.UInt32(uint32(p.Bits()))
		}
	}
	return &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_MaskedRemoteAddress_{MaskedRemoteAddress: m}}
}

// descriptorEntries are the entries a rule's descriptor has, as configured:
// distinct entries have no value.
func descriptorEntries(r *ir.RateLimitRule) []*commonratelimitv3.RateLimitDescriptor_Entry {
	entries := []*commonratelimitv3.RateLimitDescriptor_Entry{{Key: RuleDescriptorKey, Value: r.Name}}
	for i, s := range r.Selectors {
		switch {
		case s.Header != "" && s.Distinct:
			entries = append(entries, &commonratelimitv3.RateLimitDescriptor_Entry{Key: HeaderDescriptorKey(i)})
		case s.Header != "":
			entries = append(entries, &commonratelimitv3.RateLimitDescriptor_Entry{Key: HeaderDescriptorKey(i), Value: headerMatchValue})
		default:
			entries = append(entries, &commonratelimitv3.RateLimitDescriptor_Entry{Key: maskedRemoteAddressKey, Value: s.CIDR})
			if s.Distinct {
				entries = append(entries, &commonratelimitv3.RateLimitDescriptor_Entry{Key: remoteAddressKey})
			}
		}
	}
	return entries
}

// GlobalRateLimits are the route's rate_limits: one per global rule.
func GlobalRateLimits(rules []*ir.RateLimitRule) []*routev3.RateLimit {
	out := make([]*routev3.RateLimit, 0, len(rules))
	for _, r := range rules {
		out = append(out, &routev3.RateLimit{Actions: RateLimitActions(r)})
	}
	return out
}

// unitDuration is the length of a rate limit unit.
func unitDuration(u ir.RateLimitUnit) time.Duration {
	return time.Duration(ir.RateLimitUnitSeconds[u]) * time.Second
}

// LocalRateLimitPerRoute is the per-route configuration of the local rate
// limit filter: a token bucket of Requests tokens refilled every unit per
// rule's descriptor. The default bucket never runs out and is used only by
// requests no descriptor matches, so only the rules limit.
func LocalRateLimitPerRoute(rules []*ir.RateLimitRule) *localratelimitv3.LocalRateLimit {
	always := &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{
		Numerator: 100, Denominator: typev3.FractionalPercent_HUNDRED,
	}}
	l := &localratelimitv3.LocalRateLimit{
		StatPrefix:                      localRateLimitStatPrefix,
		TokenBucket:                     tokenBucket(math.MaxUint32, time.Second),
		FilterEnabled:                   always,
		FilterEnforced:                  always,
		AlwaysConsumeDefaultTokenBucket: wrapperspb.Bool(false),
	}
	distinct := false
	for _, r := range rules {
		l.RateLimits = append(l.RateLimits, &routev3.RateLimit{Actions: RateLimitActions(r)})
		l.Descriptors = append(l.Descriptors, &commonratelimitv3.LocalRateLimitDescriptor{
			Entries:     descriptorEntries(r),
			TokenBucket: tokenBucket(r.Limit.Requests, unitDuration(r.Limit.Unit)),
		})
		for _, s := range r.Selectors {
			distinct = distinct || s.Distinct
		}
	}
	if distinct {
		l.MaxDynamicDescriptors = wrapperspb.UInt32(maxDynamicDescriptors)
	}
	return l
}

func tokenBucket(tokens uint32, interval time.Duration) *typev3.TokenBucket {
	return &typev3.TokenBucket{
		MaxTokens:     tokens,
		TokensPerFill: wrapperspb.UInt32(tokens),
		FillInterval:  durationpb.New(interval),
	}
}

// LocalRateLimitFilter is the HTTP filter of local rate limits: without a
// token bucket it limits nothing but the routes configuring it.
func LocalRateLimitFilter() *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{
		Name: LocalRateLimitFilterName,
		ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: MustAny(&localratelimitv3.LocalRateLimit{
			StatPrefix: localRateLimitStatPrefix,
		})},
	}
}

// GlobalRateLimitFilter is the HTTP filter asking the rate limit service
// about the descriptors of each route's rate_limits. When the service fails
// or does not answer within the timeout the request goes on, unless
// FailClosed: then it is answered with 500 (failure_mode_deny).
func GlobalRateLimitFilter(g *ir.GlobalRateLimit) *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{
		Name: RateLimitFilterName,
		ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: MustAny(&ratelimitv3.RateLimit{
			Domain:          g.Domain,
			Timeout:         durationpb.New(time.Duration(g.Timeout)),
			FailureModeDeny: g.FailClosed,
			StatPrefix:      rateLimitStatPrefix,
			RateLimitService: &ratelimitconfv3.RateLimitServiceConfig{
				GrpcService: &corev3.GrpcService{TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
					EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: RateLimitClusterName},
				}},
				TransportApiVersion: corev3.ApiVersion_V3,
			},
		})},
	}
}

// The HTTP filter names of rate limiting.
const (
	RateLimitFilterName      = "envoy.filters.http.ratelimit"
	LocalRateLimitFilterName = "envoy.filters.http.local_ratelimit"
)

// RateLimitServiceCluster is the HTTP/2 cluster of the rate limit service:
// strict DNS for a host name, static for an IP address or a unix socket.
func RateLimitServiceCluster(g *ir.GlobalRateLimit) *clusterv3.Cluster {
	if g.Pipe == "" {
		if _, err := netip.ParseAddr(g.Host); err != nil {
			return DNSCluster(RateLimitClusterName, ir.AppProtocolHTTP2, []*ir.Endpoint{{Address: g.Host, Port: g.Port}})
		}
	}
	c := baseCluster(RateLimitClusterName, ir.AppProtocolHTTP2)
	c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}
	c.LoadAssignment = ClusterLoadAssignment(RateLimitClusterName, []*ir.Endpoint{{Address: g.Host, Port: g.Port}})
	if g.Pipe != "" {
		c.LoadAssignment = &endpointv3.ClusterLoadAssignment{
			ClusterName: RateLimitClusterName,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: &corev3.Address{
					Address: &corev3.Address_Pipe{Pipe: &corev3.Pipe{Path: g.Pipe}},
				}}},
			}}}},
		}
	}
	return c
}

// rateLimitHTTPFilters are the rate limit HTTP filters every HTTP connection
// manager of a fleet gets, before the router: local rate limiting when a
// route has local limits, then global rate limiting when the fleet has the
// service. A fleet without limits gets none.
func rateLimitHTTPFilters(x *ir.Xds) []*hcmv3.HttpFilter {
	var out []*hcmv3.HttpFilter
	if usesLocalRateLimit(x) {
		out = append(out, LocalRateLimitFilter())
	}
	if x.GlobalRateLimit != nil {
		out = append(out, GlobalRateLimitFilter(x.GlobalRateLimit))
	}
	return out
}

func usesLocalRateLimit(x *ir.Xds) bool {
	for _, l := range x.HTTP {
		for _, r := range l.Routes {
			if r.RateLimit != nil && len(r.RateLimit.Local) > 0 {
				return true
			}
		}
	}
	return false
}

// setRateLimits adds a route's rate limits: the global ones to its route
// action (requests it forwards), the local ones to its per-filter
// configuration.
func setRateLimits(route *routev3.Route, rl *ir.RouteRateLimit) {
	if rl == nil {
		return
	}
	if action := route.GetRoute(); action != nil && len(rl.Global) > 0 {
		action.RateLimits = GlobalRateLimits(rl.Global)
	}
	if len(rl.Local) > 0 {
		route.TypedPerFilterConfig = map[string]*anypb.Any{LocalRateLimitFilterName: MustAny(LocalRateLimitPerRoute(rl.Local))}
	}
}
