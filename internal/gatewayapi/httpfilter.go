package gatewayapi

import (
	"slices"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// ruleFilters is what the filters of one HTTPRoute rule produce.
type ruleFilters struct {
	requestHeaders  *ir.HeaderModifier
	responseHeaders *ir.HeaderModifier
	redirect        *ir.Redirect
	// redirectToListenerPort is set when the redirect keeps the scheme and
	// names no port: Gateway API then redirects to the listener's port.
	redirectToListenerPort bool
	rewrite                *ir.URLRewrite
	mirrors                []*ir.Mirror
	// replacesPrefix is set when a redirect or rewrite uses ReplacePrefixMatch.
	replacesPrefix bool

	// invalid makes the rule invalid (Accepted: UnsupportedValue, IncompatibleFilters).
	invalid errorList
	// refErrs are unresolved references (ResolvedRefs); unresolved extension
	// filters also set failClosed: their requests must get an error.
	refErrs    errorList
	failClosed bool
}

// filterBuilder converts one filter into ruleFilters.
type filterBuilder func(t *translator, from backendFrom, f *gwapiv1.HTTPRouteFilter, out *ruleFilters)

var filterBuilders = map[gwapiv1.HTTPRouteFilterType]filterBuilder{
	gwapiv1.HTTPRouteFilterRequestHeaderModifier:  buildRequestHeaderFilter,
	gwapiv1.HTTPRouteFilterResponseHeaderModifier: buildResponseHeaderFilter,
	gwapiv1.HTTPRouteFilterRequestRedirect:        buildRedirectFilter,
	gwapiv1.HTTPRouteFilterURLRewrite:             buildRewriteFilter,
	gwapiv1.HTTPRouteFilterRequestMirror:          buildMirrorFilter,
	gwapiv1.HTTPRouteFilterExtensionRef:           buildExtensionRefFilter,
}

// repeatable are the filter types that may appear more than once in a rule.
var repeatable = map[gwapiv1.HTTPRouteFilterType]bool{
	gwapiv1.HTTPRouteFilterRequestMirror: true,
	gwapiv1.HTTPRouteFilterExtensionRef:  true,
}

// buildFilters converts the filters of a rule, in order.
func (t *translator) buildFilters(from backendFrom, filters []gwapiv1.HTTPRouteFilter) *ruleFilters {
	out := &ruleFilters{}
	seen := make(map[gwapiv1.HTTPRouteFilterType]bool, len(filters))
	for i := range filters {
		f := &filters[i]
		if seen[f.Type] && !repeatable[f.Type] {
			out.invalid.add(errorf(gwapiv1.RouteReasonUnsupportedValue, "filter %s must not be repeated", f.Type))
			continue
		}
		seen[f.Type] = true
		build := filterBuilders[f.Type]
		if build == nil {
			out.invalid.add(errorf(gwapiv1.RouteReasonUnsupportedValue, "filter type %q is not supported", f.Type))
			continue
		}
		build(t, from, f, out)
	}
	if seen[gwapiv1.HTTPRouteFilterRequestRedirect] && seen[gwapiv1.HTTPRouteFilterURLRewrite] {
		out.invalid.add(errorf(gwapiv1.RouteReasonIncompatibleFilters, "filters RequestRedirect and URLRewrite cannot be combined"))
	}
	return out
}

func missingFilterConfig(f *gwapiv1.HTTPRouteFilter, field string) *reasonError {
	return errorf(gwapiv1.RouteReasonUnsupportedValue, "filter %s requires %s", f.Type, field)
}

func buildRequestHeaderFilter(_ *translator, _ backendFrom, f *gwapiv1.HTTPRouteFilter, out *ruleFilters) {
	if f.RequestHeaderModifier == nil {
		out.invalid.add(missingFilterConfig(f, "requestHeaderModifier"))
		return
	}
	m, err := headerModifier(f.RequestHeaderModifier)
	out.invalid.add(err)
	out.requestHeaders = m
}

func buildResponseHeaderFilter(_ *translator, _ backendFrom, f *gwapiv1.HTTPRouteFilter, out *ruleFilters) {
	if f.ResponseHeaderModifier == nil {
		out.invalid.add(missingFilterConfig(f, "responseHeaderModifier"))
		return
	}
	m, err := headerModifier(f.ResponseHeaderModifier)
	out.invalid.add(err)
	out.responseHeaders = m
}

// headerModifier converts a header filter; header names must not be empty.
func headerModifier(f *gwapiv1.HTTPHeaderFilter) (*ir.HeaderModifier, *reasonError) {
	m := &ir.HeaderModifier{}
	for _, h := range f.Add {
		m.Add = append(m.Add, ir.Header{Name: string(h.Name), Value: h.Value})
	}
	for _, h := range f.Set {
		m.Set = append(m.Set, ir.Header{Name: string(h.Name), Value: h.Value})
	}
	m.Remove = append(m.Remove, f.Remove...)
	for _, h := range append(append([]ir.Header(nil), m.Add...), m.Set...) {
		if h.Name == "" {
			return nil, errorf(gwapiv1.RouteReasonUnsupportedValue, "header filter has an empty header name")
		}
	}
	if slices.Contains(m.Remove, "") {
		return nil, errorf(gwapiv1.RouteReasonUnsupportedValue, "header filter removes an empty header name")
	}
	return m, nil
}

// redirectStatusCodes are the supported RequestRedirect status codes.
var redirectStatusCodes = map[int]bool{301: true, 302: true, 303: true, 307: true, 308: true}

// wellKnownPorts are the ports a redirect to a scheme uses when none is given.
var wellKnownPorts = map[string]uint32{"http": 80, "https": 443}

func buildRedirectFilter(_ *translator, _ backendFrom, f *gwapiv1.HTTPRouteFilter, out *ruleFilters) {
	rf := f.RequestRedirect
	if rf == nil {
		out.invalid.add(missingFilterConfig(f, "requestRedirect"))
		return
	}
	r := &ir.Redirect{StatusCode: 302}
	if rf.StatusCode != nil {
		r.StatusCode = *rf.StatusCode
	}
	if !redirectStatusCodes[r.StatusCode] {
		out.invalid.add(errorf(gwapiv1.RouteReasonUnsupportedValue, "redirect statusCode %d is not supported", r.StatusCode))
		return
	}
	if rf.Scheme != nil {
		if _, ok := wellKnownPorts[*rf.Scheme]; !ok {
			out.invalid.add(errorf(gwapiv1.RouteReasonUnsupportedValue, "redirect scheme %q is not supported (http, https)", *rf.Scheme))
			return
		}
		r.Scheme = new(*rf.Scheme)
	}
	if rf.Hostname != nil {
		r.Hostname = new(string(*rf.Hostname))
	}
	if err := redirectPort(rf, r, out); err != nil {
		out.invalid.add(err)
		return
	}
	path, prefix, err := pathRewrite(rf.Path)
	if err != nil {
		out.invalid.add(err)
		return
	}
	r.Path, out.replacesPrefix = path, out.replacesPrefix || prefix
	out.redirect = r
}

// redirectPort applies Gateway API's port rules: the given port, else the
// scheme's well-known port, else the listener's port (filled in per listener).
func redirectPort(rf *gwapiv1.HTTPRequestRedirectFilter, r *ir.Redirect, out *ruleFilters) *reasonError {
	switch {
	case rf.Port != nil:
		if *rf.Port < 1 || *rf.Port > 65535 {
			return errorf(gwapiv1.RouteReasonUnsupportedValue, "redirect port %d is out of range 1-65535", *rf.Port)
		}
		r.Port = new(uint32(*rf.Port))
	case r.Scheme != nil:
		r.Port = new(wellKnownPorts[*r.Scheme])
	default:
		out.redirectToListenerPort = true
	}
	return nil
}

func buildRewriteFilter(_ *translator, _ backendFrom, f *gwapiv1.HTTPRouteFilter, out *ruleFilters) {
	uf := f.URLRewrite
	if uf == nil {
		out.invalid.add(missingFilterConfig(f, "urlRewrite"))
		return
	}
	rw := &ir.URLRewrite{}
	if uf.Hostname != nil {
		rw.Hostname = new(string(*uf.Hostname))
	}
	path, prefix, err := pathRewrite(uf.Path)
	if err != nil {
		out.invalid.add(err)
		return
	}
	rw.Path, out.replacesPrefix = path, out.replacesPrefix || prefix
	out.rewrite = rw
}

// pathRewrite converts a path modifier; prefix reports a ReplacePrefixMatch.
func pathRewrite(p *gwapiv1.HTTPPathModifier) (rw *ir.PathRewrite, prefix bool, err *reasonError) {
	if p == nil {
		return nil, false, nil
	}
	switch p.Type {
	case gwapiv1.FullPathHTTPPathModifier:
		if p.ReplaceFullPath == nil {
			return nil, false, errorf(gwapiv1.RouteReasonUnsupportedValue, "path modifier ReplaceFullPath requires replaceFullPath")
		}
		return &ir.PathRewrite{FullPath: new(*p.ReplaceFullPath)}, false, nil
	case gwapiv1.PrefixMatchHTTPPathModifier:
		if p.ReplacePrefixMatch == nil {
			return nil, false, errorf(gwapiv1.RouteReasonUnsupportedValue, "path modifier ReplacePrefixMatch requires replacePrefixMatch")
		}
		return &ir.PathRewrite{PrefixMatch: new(*p.ReplacePrefixMatch)}, true, nil
	}
	return nil, false, errorf(gwapiv1.RouteReasonUnsupportedValue, "path modifier type %q is not supported", p.Type)
}

func buildMirrorFilter(t *translator, from backendFrom, f *gwapiv1.HTTPRouteFilter, out *ruleFilters) {
	mf := f.RequestMirror
	if mf == nil {
		out.invalid.add(missingFilterConfig(f, "requestMirror"))
		return
	}
	percent, err := mirrorPercent(mf)
	if err != nil {
		out.invalid.add(err)
		return
	}
	cluster, err := t.resolveBackend(from, &mf.BackendRef)
	if err != nil {
		out.refErrs.add(err)
		return
	}
	out.mirrors = append(out.mirrors, &ir.Mirror{Cluster: cluster, Percent: percent})
}

// mirrorPercent converts percent or fraction; nil means every request.
func mirrorPercent(mf *gwapiv1.HTTPRequestMirrorFilter) (*float64, *reasonError) {
	switch {
	case mf.Percent != nil && mf.Fraction != nil:
		return nil, errorf(gwapiv1.RouteReasonUnsupportedValue, "requestMirror must not set both percent and fraction")
	case mf.Percent != nil:
		if *mf.Percent < 0 || *mf.Percent > 100 {
			return nil, errorf(gwapiv1.RouteReasonUnsupportedValue, "requestMirror percent %d is out of range 0-100", *mf.Percent)
		}
		return new(float64(*mf.Percent)), nil
	case mf.Fraction != nil:
		den := int32(100)
		if mf.Fraction.Denominator != nil {
			den = *mf.Fraction.Denominator
		}
		if den <= 0 || mf.Fraction.Numerator < 0 || mf.Fraction.Numerator > den {
			return nil, errorf(gwapiv1.RouteReasonUnsupportedValue, "requestMirror fraction %d/%d is invalid", mf.Fraction.Numerator, den)
		}
		return new(float64(mf.Fraction.Numerator) * 100 / float64(den)), nil
	}
	return nil, nil
}

// buildExtensionRefFilter rejects every extension filter: this controller
// defines none. The filter must not be skipped, so its requests get a 500.
func buildExtensionRefFilter(_ *translator, _ backendFrom, f *gwapiv1.HTTPRouteFilter, out *ruleFilters) {
	out.failClosed = true
	if f.ExtensionRef == nil {
		out.refErrs.add(errorf(gwapiv1.RouteReasonInvalidKind, "filter ExtensionRef requires extensionRef"))
		return
	}
	ref := f.ExtensionRef
	out.refErrs.add(errorf(gwapiv1.RouteReasonInvalidKind, "ExtensionRef filter %s/%s %q is not supported", ref.Group, ref.Kind, ref.Name))
}
