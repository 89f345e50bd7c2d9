package gatewayapi

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
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
	// rateLimit are the limits of RateLimitFilters, named relative to the
	// rule ("filter/<k>/limit/<j>") until nameRateLimits.
	rateLimit *ir.RouteRateLimit
	cors      *ir.CORS
	// replacesPrefix is set when a redirect or rewrite uses ReplacePrefixMatch.
	replacesPrefix bool

	// invalid makes the rule invalid (Accepted: UnsupportedValue, IncompatibleFilters).
	invalid routeErrors
	// refErrs are unresolved references (ResolvedRefs); unresolved extension
	// filters also set failClosed: their requests must get an error.
	refErrs    routeErrors
	failClosed bool
}

// filterInput is one filter of a rule: its field path, the route it
// belongs to, and its spec.
type filterInput struct {
	// index is the filter's position in the rule's filters.
	index int
	path  fieldPath
	from  backendFrom
	f     *gwapiv1.HTTPRouteFilter
}

// filterBuilder converts one filter into ruleFilters.
type filterBuilder func(t *translator, in filterInput, out *ruleFilters)

var filterBuilders = map[gwapiv1.HTTPRouteFilterType]filterBuilder{
	gwapiv1.HTTPRouteFilterRequestHeaderModifier:  buildRequestHeaderFilter,
	gwapiv1.HTTPRouteFilterResponseHeaderModifier: buildResponseHeaderFilter,
	gwapiv1.HTTPRouteFilterRequestRedirect:        buildRedirectFilter,
	gwapiv1.HTTPRouteFilterURLRewrite:             buildRewriteFilter,
	gwapiv1.HTTPRouteFilterRequestMirror:          buildMirrorFilter,
	gwapiv1.HTTPRouteFilterExtensionRef:           buildExtensionRefFilter,
	gwapiv1.HTTPRouteFilterCORS:                   buildCORSFilter,
}

// repeatable are the filter types that may appear more than once in a rule.
var repeatable = map[gwapiv1.HTTPRouteFilterType]bool{
	gwapiv1.HTTPRouteFilterRequestMirror: true,
	gwapiv1.HTTPRouteFilterExtensionRef:  true,
}

// buildFilters converts the filters of a rule, in order; path is the
// rule's "filters" field.
func (t *translator) buildFilters(from backendFrom, path fieldPath, filters []gwapiv1.HTTPRouteFilter) *ruleFilters {
	out := &ruleFilters{}
	seen := make(map[gwapiv1.HTTPRouteFilterType]bool, len(filters))
	for i := range filters {
		f := &filters[i]
		if seen[f.Type] && !repeatable[f.Type] {
			out.invalid.add(unsupportedAt(path.Index(i), "filter %s must not be repeated", f.Type))
			continue
		}
		seen[f.Type] = true
		build := filterBuilders[f.Type]
		if build == nil {
			out.invalid.add(unsupportedAt(path.Index(i).Child("type"), "filter type %q is not supported", f.Type))
			continue
		}
		build(t, filterInput{index: i, path: path.Index(i), from: from, f: f}, out)
	}
	if seen[gwapiv1.HTTPRouteFilterRequestRedirect] && seen[gwapiv1.HTTPRouteFilterURLRewrite] {
		out.invalid.add(errorf(gwapiv1.RouteReasonIncompatibleFilters, "%s: filters RequestRedirect and URLRewrite cannot be combined", path))
	}
	if out.redirect != nil && out.rateLimit != nil && len(out.rateLimit.Global) > 0 {
		out.invalid.add(errorf(gwapiv1.RouteReasonIncompatibleFilters,
			"%s: Global RateLimitFilters apply to requests forwarded to backends, not to RequestRedirect (use a Local one)", path))
	}
	return out
}

func missingFilterConfig(in filterInput, name string) *routeError {
	return unsupportedAt(in.path.Child(name), "filter %s requires %s", in.f.Type, name)
}

func buildRequestHeaderFilter(_ *translator, in filterInput, out *ruleFilters) {
	if in.f.RequestHeaderModifier == nil {
		out.invalid.add(missingFilterConfig(in, "requestHeaderModifier"))
		return
	}
	m, err := headerModifier(in.path.Child("requestHeaderModifier"), in.f.RequestHeaderModifier)
	out.invalid.add(err)
	out.requestHeaders = m
}

func buildResponseHeaderFilter(_ *translator, in filterInput, out *ruleFilters) {
	if in.f.ResponseHeaderModifier == nil {
		out.invalid.add(missingFilterConfig(in, "responseHeaderModifier"))
		return
	}
	m, err := headerModifier(in.path.Child("responseHeaderModifier"), in.f.ResponseHeaderModifier)
	out.invalid.add(err)
	out.responseHeaders = m
}

// headerModifier converts a header filter whose field path is path. Names
// must be HTTP tokens Envoy lets a route modify, values must be valid header
// values.
func headerModifier(path fieldPath, f *gwapiv1.HTTPHeaderFilter) (*ir.HeaderModifier, *routeError) {
	m := &ir.HeaderModifier{}
	for i, h := range f.Add {
		if err := checkHeader(path.Child("add").Index(i), h); err != nil {
			return nil, err
		}
		m.Add = append(m.Add, ir.Header{Name: string(h.Name), Value: h.Value})
	}
	for i, h := range f.Set {
		if err := checkHeader(path.Child("set").Index(i), h); err != nil {
			return nil, err
		}
		m.Set = append(m.Set, ir.Header{Name: string(h.Name), Value: h.Value})
	}
	for i, name := range f.Remove {
		if err := checkModifiableHeader(path.Child("remove").Index(i), name); err != nil {
			return nil, err
		}
	}
	m.Remove = append(m.Remove, f.Remove...)
	return m, nil
}

// checkHeader checks one header a filter adds or sets.
func checkHeader(path fieldPath, h gwapiv1.HTTPHeader) *routeError {
	if err := checkModifiableHeader(path.Child("name"), string(h.Name)); err != nil {
		return err
	}
	return checkHeaderString(path.Child("value"), h.Value)
}

// redirectStatusCodes are the supported RequestRedirect status codes.
var redirectStatusCodes = map[int]bool{301: true, 302: true, 303: true, 307: true, 308: true}

// wellKnownPorts are the ports a redirect to a scheme uses when none is given.
var wellKnownPorts = map[string]uint32{"http": 80, "https": 443}

func buildRedirectFilter(_ *translator, in filterInput, out *ruleFilters) {
	rf := in.f.RequestRedirect
	if rf == nil {
		out.invalid.add(missingFilterConfig(in, "requestRedirect"))
		return
	}
	path := in.path.Child("requestRedirect")
	r, err := redirect(path, rf)
	if err == nil {
		err = redirectPort(path, rf, r, out)
	}
	if err != nil {
		out.invalid.add(err)
		return
	}
	rw, prefix, err := pathRewrite(path.Child("path"), rf.Path)
	if err != nil {
		out.invalid.add(err)
		return
	}
	r.Path, out.replacesPrefix = rw, out.replacesPrefix || prefix
	out.redirect = r
}

// redirect converts a redirect's status code, scheme and hostname.
func redirect(path fieldPath, rf *gwapiv1.HTTPRequestRedirectFilter) (*ir.Redirect, *routeError) {
	r := &ir.Redirect{StatusCode: 302}
	if rf.StatusCode != nil {
		r.StatusCode = *rf.StatusCode
	}
	if !redirectStatusCodes[r.StatusCode] {
		return nil, unsupportedAt(path.Child("statusCode"), "redirect statusCode %d is not supported", r.StatusCode)
	}
	if rf.Scheme != nil {
		if _, ok := wellKnownPorts[*rf.Scheme]; !ok {
			return nil, unsupportedAt(path.Child("scheme"), "redirect scheme %q is not supported (http, https)", *rf.Scheme)
		}
		r.Scheme = new(*rf.Scheme)
	}
	if rf.Hostname != nil {
		if err := checkPreciseHostname(path.Child("hostname"), string(*rf.Hostname)); err != nil {
			return nil, err
		}
		r.Hostname = new(string(*rf.Hostname))
	}
	return r, nil
}

// checkPreciseHostname rejects a redirect or rewrite hostname that is not a
// precise hostname (an RFC 1123 subdomain, which includes IPv4 addresses).
func checkPreciseHostname(path fieldPath, h string) *routeError {
	if errs := validation.IsDNS1123Subdomain(h); len(errs) > 0 {
		return unsupportedAt(path, "hostname %q is invalid: %s", h, strings.Join(errs, ", "))
	}
	return nil
}

// redirectPort applies Gateway API's port rules: the given port, else the
// scheme's well-known port, else the listener's port (filled in per listener).
func redirectPort(path fieldPath, rf *gwapiv1.HTTPRequestRedirectFilter, r *ir.Redirect, out *ruleFilters) *routeError {
	switch {
	case rf.Port != nil:
		if *rf.Port < 1 || *rf.Port > 65535 {
			return unsupportedAt(path.Child("port"), "redirect port %d is out of range 1-65535", *rf.Port)
		}
		r.Port = new(uint32(*rf.Port))
	case r.Scheme != nil:
		r.Port = new(wellKnownPorts[*r.Scheme])
	default:
		out.redirectToListenerPort = true
	}
	return nil
}

func buildRewriteFilter(_ *translator, in filterInput, out *ruleFilters) {
	uf := in.f.URLRewrite
	if uf == nil {
		out.invalid.add(missingFilterConfig(in, "urlRewrite"))
		return
	}
	path := in.path.Child("urlRewrite")
	rw := &ir.URLRewrite{}
	if uf.Hostname != nil {
		if err := checkPreciseHostname(path.Child("hostname"), string(*uf.Hostname)); err != nil {
			out.invalid.add(err)
			return
		}
		rw.Hostname = new(string(*uf.Hostname))
	}
	p, prefix, err := pathRewrite(path.Child("path"), uf.Path)
	if err != nil {
		out.invalid.add(err)
		return
	}
	rw.Path, out.replacesPrefix = p, out.replacesPrefix || prefix
	out.rewrite = rw
}

// pathRewrite converts a path modifier whose field path is path; prefix
// reports a ReplacePrefixMatch. The new path must be absolute and a valid
// header value (Envoy puts it in the :path header).
func pathRewrite(path fieldPath, p *gwapiv1.HTTPPathModifier) (rw *ir.PathRewrite, prefix bool, err *routeError) {
	if p == nil {
		return nil, false, nil
	}
	switch p.Type {
	case gwapiv1.FullPathHTTPPathModifier:
		if p.ReplaceFullPath == nil {
			return nil, false, unsupportedAt(path.Child("replaceFullPath"), "path modifier ReplaceFullPath requires replaceFullPath")
		}
		if err := checkNewPath(path.Child("replaceFullPath"), *p.ReplaceFullPath); err != nil {
			return nil, false, err
		}
		return &ir.PathRewrite{FullPath: new(*p.ReplaceFullPath)}, false, nil
	case gwapiv1.PrefixMatchHTTPPathModifier:
		if p.ReplacePrefixMatch == nil {
			return nil, false, unsupportedAt(path.Child("replacePrefixMatch"), "path modifier ReplacePrefixMatch requires replacePrefixMatch")
		}
		if err := checkNewPath(path.Child("replacePrefixMatch"), *p.ReplacePrefixMatch); err != nil {
			return nil, false, err
		}
		return &ir.PathRewrite{PrefixMatch: new(*p.ReplacePrefixMatch)}, true, nil
	}
	return nil, false, unsupportedAt(path.Child("type"), "path modifier type %q is not supported", p.Type)
}

// checkNewPath rejects a replacement path that is not absolute or that Envoy
// cannot put in a header.
func checkNewPath(path fieldPath, value string) *routeError {
	if !strings.HasPrefix(value, "/") {
		return unsupportedAt(path, "path %q must start with /", value)
	}
	return checkHeaderString(path, value)
}

func buildMirrorFilter(t *translator, in filterInput, out *ruleFilters) {
	mf := in.f.RequestMirror
	if mf == nil {
		out.invalid.add(missingFilterConfig(in, "requestMirror"))
		return
	}
	percent, err := mirrorPercent(in.path.Child("requestMirror"), mf)
	if err != nil {
		out.invalid.add(err)
		return
	}
	cluster, err := t.resolveBackend(in.from, &mf.BackendRef)
	if err != nil {
		out.refErrs.add(err)
		return
	}
	out.mirrors = append(out.mirrors, &ir.Mirror{Cluster: cluster, Percent: percent})
}

// mirrorPercent converts percent or fraction; nil means every request.
func mirrorPercent(path fieldPath, mf *gwapiv1.HTTPRequestMirrorFilter) (*float64, *routeError) {
	switch {
	case mf.Percent != nil && mf.Fraction != nil:
		return nil, unsupportedAt(path, "requestMirror must not set both percent and fraction")
	case mf.Percent != nil:
		if *mf.Percent < 0 || *mf.Percent > 100 {
			return nil, unsupportedAt(path.Child("percent"), "requestMirror percent %d is out of range 0-100", *mf.Percent)
		}
		return new(float64(*mf.Percent)), nil
	case mf.Fraction != nil:
		den := int32(100)
		if mf.Fraction.Denominator != nil {
			den = *mf.Fraction.Denominator
		}
		if den <= 0 || mf.Fraction.Numerator < 0 || mf.Fraction.Numerator > den {
			return nil, unsupportedAt(path.Child("fraction"), "requestMirror fraction %d/%d is invalid", mf.Fraction.Numerator, den)
		}
		return new(float64(mf.Fraction.Numerator) * 100 / float64(den)), nil
	}
	return nil, nil
}

// buildExtensionRefFilter applies a RateLimitFilter and rejects every other
// extension filter. An unresolved filter must not be skipped, so its
// requests get a 500.
func buildExtensionRefFilter(t *translator, in filterInput, out *ruleFilters) {
	if in.f.ExtensionRef != nil && isRateLimitFilterRef(in.f.ExtensionRef) {
		t.buildRateLimitFilter(in, out)
		return
	}
	out.failClosed = true
	path := in.path.Child("extensionRef")
	if in.f.ExtensionRef == nil {
		out.refErrs.add(errorf(gwapiv1.RouteReasonInvalidKind, "%s: filter ExtensionRef requires extensionRef", path))
		return
	}
	ref := in.f.ExtensionRef
	out.refErrs.add(errorf(gwapiv1.RouteReasonInvalidKind, "%s: ExtensionRef filter %s/%s %q is not supported", path, ref.Group, ref.Kind, ref.Name))
}
