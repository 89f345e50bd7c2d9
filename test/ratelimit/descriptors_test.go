package ratelimit

import (
	"net/netip"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	commonratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
)

// request is what the rate limit actions read of a request.
type request struct {
	headers map[string]string // lower-case names
	client  netip.Addr
}

// descriptors evaluates a route's rate_limits for a request as Envoy's
// router does (source/common/router/router_ratelimit.cc): each RateLimit
// gives one descriptor, its actions' entries in order, and none when an
// action produces no entry. Only the actions our translator emits are
// known; any other is a test failure (reported through ok).
func descriptors(limits []*routev3.RateLimit, req request) (out []*commonratelimitv3.RateLimitDescriptor, ok bool) {
	for _, rl := range limits {
		d := &commonratelimitv3.RateLimitDescriptor{}
		complete := true
		for _, a := range rl.GetActions() {
			e, produced, known := entry(a, req)
			if !known {
				return nil, false
			}
			if !produced {
				complete = false
				break
			}
			d.Entries = append(d.Entries, e)
		}
		if complete {
			out = append(out, d)
		}
	}
	return out, true
}

// entry is the descriptor entry one action produces for a request.
func entry(a *routev3.RateLimit_Action, req request) (e *commonratelimitv3.RateLimitDescriptor_Entry, produced, known bool) {
	switch s := a.GetActionSpecifier().(type) {
	case *routev3.RateLimit_Action_GenericKey_:
		return &commonratelimitv3.RateLimitDescriptor_Entry{Key: s.GenericKey.GetDescriptorKey(), Value: s.GenericKey.GetDescriptorValue()}, true, true
	case *routev3.RateLimit_Action_RequestHeaders_:
		v, ok := req.headers[strings.ToLower(s.RequestHeaders.GetHeaderName())]
		return &commonratelimitv3.RateLimitDescriptor_Entry{Key: s.RequestHeaders.GetDescriptorKey(), Value: v}, ok, true
	case *routev3.RateLimit_Action_HeaderValueMatch_:
		m := s.HeaderValueMatch
		matched := true
		for _, h := range m.GetHeaders() {
			v, ok := req.headers[strings.ToLower(h.GetName())]
			matched = matched && ok && v == h.GetStringMatch().GetExact()
		}
		expect := m.GetExpectMatch() == nil || m.GetExpectMatch().GetValue()
		return &commonratelimitv3.RateLimitDescriptor_Entry{Key: m.GetDescriptorKey(), Value: m.GetDescriptorValue()}, matched == expect, true
	case *routev3.RateLimit_Action_MaskedRemoteAddress_:
		bits := s.MaskedRemoteAddress.GetV4PrefixMaskLen().GetValue()
		if req.client.Is6() {
			bits = s.MaskedRemoteAddress.GetV6PrefixMaskLen().GetValue()
		}
		p, err := req.client.Prefix(int(bits))
		if err != nil {
			return nil, false, true
		}
		return &commonratelimitv3.RateLimitDescriptor_Entry{Key: "masked_remote_address", Value: p.String()}, true, true
	case *routev3.RateLimit_Action_RemoteAddress_:
		return &commonratelimitv3.RateLimitDescriptor_Entry{Key: "remote_address", Value: req.client.String()}, true, true
	}
	return nil, false, false
}
