package router

import (
	"fmt"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// DescriptorEntry is one entry of a rate limit descriptor.
type DescriptorEntry struct {
	Key, Value string
}

// Descriptor is a rate limit descriptor: its entries in action order.
type Descriptor []DescriptorEntry

// RateLimitPolicy is a compiled RateLimit (one entry of a route's
// rate_limits, or of a rate limit filter's own rate_limits): the actions
// producing one descriptor.
type RateLimitPolicy struct {
	actions []rateLimitAction
}

// rateLimitAction produces one descriptor entry for a request: ok false
// when the action does not apply (the whole descriptor is then dropped);
// an entry with an empty key adds nothing (request_headers with
// skip_if_absent and the header absent).
type rateLimitAction func(req *Request) (e DescriptorEntry, ok bool)

// The descriptor keys Envoy gives the actions without a configurable key
// or when the configured one is empty.
const (
	genericKeyDefault        = "generic_key"
	headerMatchDefault       = "header_match"
	remoteAddressKey         = "remote_address"
	maskedRemoteAddressKey   = "masked_remote_address"
	defaultV4MaskLen         = 32
	defaultV6MaskLen         = 128
	rateLimitActionsFieldFmt = "%s[%d].actions[%d]"
)

// CompileRateLimits compiles rate limit policies (path names the
// repeated field, for errors). Only the actions generic_key,
// request_headers, remote_address, masked_remote_address and
// header_value_match are implemented; the walker rejects the others
// before.
func CompileRateLimits(limits []*routev3.RateLimit, path string) ([]*RateLimitPolicy, error) {
	out := make([]*RateLimitPolicy, 0, len(limits))
	for i, rl := range limits {
		p := &RateLimitPolicy{}
		for j, a := range rl.GetActions() {
			at := fmt.Sprintf(rateLimitActionsFieldFmt, path, i, j)
			action, err := compileRateLimitAction(a, at)
			if err != nil {
				return nil, err
			}
			p.actions = append(p.actions, action)
		}
		out = append(out, p)
	}
	return out, nil
}

func compileRateLimitAction(a *routev3.RateLimit_Action, path string) (rateLimitAction, error) {
	switch s := a.GetActionSpecifier().(type) {
	case *routev3.RateLimit_Action_GenericKey_:
		e := DescriptorEntry{Key: orDefault(s.GenericKey.GetDescriptorKey(), genericKeyDefault),
			Value: s.GenericKey.GetDescriptorValue()}
		return func(*Request) (DescriptorEntry, bool) { return e, true }, nil
	case *routev3.RateLimit_Action_RequestHeaders_:
		return requestHeadersAction(s.RequestHeaders), nil
	case *routev3.RateLimit_Action_RemoteAddress_:
		return remoteAddressAction, nil
	case *routev3.RateLimit_Action_MaskedRemoteAddress_:
		return maskedRemoteAddressAction(s.MaskedRemoteAddress), nil
	case *routev3.RateLimit_Action_HeaderValueMatch_:
		return headerValueMatchAction(s.HeaderValueMatch, joinPath(path, "header_value_match"))
	}
	return nil, fmt.Errorf("%s: not implemented by the test data plane", path)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// requestHeadersAction is Envoy's RequestHeadersAction: the first value
// of the header; an absent header drops the descriptor, or with
// skip_if_absent only this entry.
func requestHeadersAction(rh *routev3.RateLimit_Action_RequestHeaders) rateLimitAction {
	name, key, skip := asciiLower(rh.GetHeaderName()), rh.GetDescriptorKey(), rh.GetSkipIfAbsent()
	return func(req *Request) (DescriptorEntry, bool) {
		values := requestHeaderValues(req, name)
		if len(values) == 0 {
			return DescriptorEntry{}, skip
		}
		return DescriptorEntry{Key: key, Value: values[0]}, true
	}
}

// remoteAddressAction is the downstream remote address, as text.
func remoteAddressAction(req *Request) (DescriptorEntry, bool) {
	if !req.RemoteAddress.IsValid() {
		return DescriptorEntry{}, false
	}
	return DescriptorEntry{Key: remoteAddressKey, Value: req.RemoteAddress.Unmap().String()}, true
}

// maskedRemoteAddressAction is the downstream remote address masked to
// the family's prefix length (32 and 128 when unset), as a CIDR.
func maskedRemoteAddressAction(m *routev3.RateLimit_Action_MaskedRemoteAddress) rateLimitAction {
	v4, v6 := defaultV4MaskLen, defaultV6MaskLen
	if m.GetV4PrefixMaskLen() != nil {
		v4 = int(m.GetV4PrefixMaskLen().GetValue())
	}
	if m.GetV6PrefixMaskLen() != nil {
		v6 = int(m.GetV6PrefixMaskLen().GetValue())
	}
	return func(req *Request) (DescriptorEntry, bool) {
		addr := req.RemoteAddress.Unmap()
		if !addr.IsValid() {
			return DescriptorEntry{}, false
		}
		bits := v4
		if addr.Is6() {
			bits = v6
		}
		p, err := addr.Prefix(bits)
		if err != nil {
			return DescriptorEntry{}, false
		}
		return DescriptorEntry{Key: maskedRemoteAddressKey, Value: p.String()}, true
	}
}

// headerValueMatchAction is Envoy's HeaderValueMatchAction: the entry is
// produced when whether every header matcher holds equals expect_match
// (true when unset).
func headerValueMatchAction(h *routev3.RateLimit_Action_HeaderValueMatch, path string) (rateLimitAction, error) {
	matchers := make([]headerMatch, 0, len(h.GetHeaders()))
	for i, hm := range h.GetHeaders() {
		m, err := compileHeaderMatcher(hm, fmt.Sprintf("%s.headers[%d]", path, i))
		if err != nil {
			return nil, err
		}
		matchers = append(matchers, m)
	}
	expect := h.GetExpectMatch() == nil || h.GetExpectMatch().GetValue()
	e := DescriptorEntry{Key: orDefault(h.GetDescriptorKey(), headerMatchDefault), Value: h.GetDescriptorValue()}
	return func(req *Request) (DescriptorEntry, bool) {
		all := true
		for _, m := range matchers {
			all = all && m.matches(req)
		}
		return e, all == expect
	}, nil
}

// Descriptor is the descriptor the policy produces for req, as Envoy's
// RateLimitPolicyEntryImpl::populateDescriptors: every action must apply
// (else ok is false) and a descriptor without entries is not sent.
func (p *RateLimitPolicy) Descriptor(req *Request) (d Descriptor, ok bool) {
	normalized := *req
	normalized.Headers = normalizeHeaders(req.Headers)
	for _, a := range p.actions {
		e, applies := a(&normalized)
		if !applies {
			return nil, false
		}
		if e.Key != "" {
			d = append(d, e)
		}
	}
	return d, len(d) > 0
}

// Descriptors are the descriptors of every policy that produces one, in
// order.
func Descriptors(policies []*RateLimitPolicy, req *Request) []Descriptor {
	var out []Descriptor
	for _, p := range policies {
		if d, ok := p.Descriptor(req); ok {
			out = append(out, d)
		}
	}
	return out
}
