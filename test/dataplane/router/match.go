package router

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
)

// pathKind is the route's path specifier.
type pathKind int

const (
	pathPrefix pathKind = iota
	pathExact
	pathRegex
	pathSeparatedPrefix
)

// routeMatch is a compiled RouteMatch.
type routeMatch struct {
	kind          pathKind
	value         string // prefix, path or path_separated_prefix
	regex         *compiledRegex
	caseSensitive bool
	runtime       *fraction
	headers       []headerMatch
	query         []queryMatch
}

// fraction is a FractionalPercent read without a runtime layer: the
// default value always applies.
type fraction struct{ numerator, denominator uint64 }

// enabled is Envoy's featureEnabled(key, default, random):
// random % denominator < numerator.
func (f fraction) enabled(random uint64) bool { return random%f.denominator < f.numerator }

var denominators = map[typev3.FractionalPercent_DenominatorType]uint64{
	typev3.FractionalPercent_HUNDRED:      100,
	typev3.FractionalPercent_TEN_THOUSAND: 10000,
	typev3.FractionalPercent_MILLION:      1000000,
}

// compileFraction reads a RuntimeFractionalPercent. The data plane has no
// runtime layer, so runtime_key is never found and the default applies,
// as Envoy does for a key that is not present.
func compileFraction(p *corev3.RuntimeFractionalPercent) *fraction {
	if p == nil {
		return nil
	}
	d := p.GetDefaultValue()
	return &fraction{numerator: uint64(d.GetNumerator()), denominator: denominators[d.GetDenominator()]}
}

func compileRouteMatch(m *routev3.RouteMatch, path string) (*routeMatch, error) {
	rm := &routeMatch{caseSensitive: m.GetCaseSensitive() == nil || m.GetCaseSensitive().GetValue()}
	switch p := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		rm.kind, rm.value = pathPrefix, p.Prefix
	case *routev3.RouteMatch_Path:
		rm.kind, rm.value = pathExact, p.Path
	case *routev3.RouteMatch_PathSeparatedPrefix:
		rm.kind, rm.value = pathSeparatedPrefix, p.PathSeparatedPrefix
	case *routev3.RouteMatch_SafeRegex:
		re, err := compileRegex(p.SafeRegex, joinPath(path, "safe_regex"))
		if err != nil {
			return nil, err
		}
		rm.kind, rm.regex = pathRegex, re
	default:
		return nil, fmt.Errorf("%s: invalid: no path specifier", path)
	}
	rm.runtime = compileFraction(m.GetRuntimeFraction())
	for i, h := range m.GetHeaders() {
		hm, err := compileHeaderMatcher(h, fmt.Sprintf("%s.headers[%d]", path, i))
		if err != nil {
			return nil, err
		}
		rm.headers = append(rm.headers, hm)
	}
	for i, q := range m.GetQueryParameters() {
		qm, err := compileQueryMatcher(q, fmt.Sprintf("%s.query_parameters[%d]", path, i))
		if err != nil {
			return nil, err
		}
		rm.query = append(rm.query, qm)
	}
	return rm, nil
}

// matches evaluates the route match as Envoy's RouteEntryImplBase: the
// runtime fraction first, then the headers, the query parameters and the
// path. ignorePathParams is ignore_path_parameters_in_path_matching.
func (rm *routeMatch) matches(req *Request, random uint64, ignorePathParams bool) bool {
	if rm.runtime != nil && !rm.runtime.enabled(random) {
		return false
	}
	for _, h := range rm.headers {
		if !h.matches(req) {
			return false
		}
	}
	if len(rm.query) > 0 {
		params := parseQuery(req.Path)
		for _, q := range rm.query {
			if !q.matches(params) {
				return false
			}
		}
	}
	return rm.matchesPath(req.Path, ignorePathParams)
}

// matchesPath compares the path without its query string and fragment.
// prefix and path honour case_sensitive (ASCII case folding), safe_regex
// must match the whole path, and path_separated_prefix matches when the
// path equals the prefix or continues with "/" after it.
func (rm *routeMatch) matchesPath(fullPath string, ignorePathParams bool) bool {
	p := removeQueryAndFragment(fullPath)
	if ignorePathParams {
		if i := strings.IndexByte(p, ';'); i >= 0 {
			p = p[:i]
		}
	}
	switch rm.kind {
	case pathPrefix:
		return rm.hasPrefix(p)
	case pathExact:
		if rm.caseSensitive {
			return p == rm.value
		}
		return asciiLower(p) == asciiLower(rm.value)
	case pathRegex:
		return rm.regex.fullMatch(p)
	case pathSeparatedPrefix:
		return rm.hasPrefix(p) && (len(p) == len(rm.value) || p[len(rm.value)] == '/')
	}
	return false
}

func (rm *routeMatch) hasPrefix(p string) bool {
	if rm.caseSensitive {
		return strings.HasPrefix(p, rm.value)
	}
	return hasPrefixFold(p, rm.value)
}

// matchedPath is the part of the path a prefix_rewrite replaces: the
// configured prefix, path or path_separated_prefix, or, for a regex
// route, the whole path without query string.
func (rm *routeMatch) matchedPath(fullPath string) string {
	if rm.kind == pathRegex {
		return removeQueryAndFragment(fullPath)
	}
	return rm.value
}

// removeQueryAndFragment is Envoy's PathUtil::removeQueryAndFragment.
func removeQueryAndFragment(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		return path[:i]
	}
	return path
}

// queryParams are the query parameters of a path as Envoy's
// QueryParamsMulti::parseQueryString reads them: everything after the
// first "?", split on "&", each "name=value" or "name" (value ""), with no
// percent-decoding.
type queryParams map[string][]string

func parseQuery(path string) queryParams {
	i := strings.IndexByte(path, '?')
	if i < 0 {
		return nil
	}
	params := queryParams{}
	for start := i + 1; start < len(path); {
		end := strings.IndexByte(path[start:], '&')
		if end < 0 {
			end = len(path)
		} else {
			end += start
		}
		name, value, _ := strings.Cut(path[start:end], "=")
		params[name] = append(params[name], value)
		start = end + 1
	}
	return params
}

// queryMatch is a compiled QueryParameterMatcher.
type queryMatch struct {
	name    string
	present *bool
	value   stringMatch
}

func compileQueryMatcher(q *routev3.QueryParameterMatcher, path string) (queryMatch, error) {
	qm := queryMatch{name: q.GetName()}
	switch s := q.GetQueryParameterMatchSpecifier().(type) {
	case *routev3.QueryParameterMatcher_PresentMatch:
		present := s.PresentMatch
		qm.present = &present
	case *routev3.QueryParameterMatcher_StringMatch:
		m, err := compileStringMatcher(s.StringMatch, joinPath(path, "string_match"))
		if err != nil {
			return queryMatch{}, err
		}
		qm.value = m
	}
	return qm, nil
}

// matches follows ConfigUtility::QueryParameterMatcher: only the first
// value of a repeated parameter counts; present_match compares presence
// (true: present, false: absent); no specifier means "present".
func (q queryMatch) matches(params queryParams) bool {
	values, found := params[q.name]
	if q.present != nil {
		return found == *q.present
	}
	if !found {
		return false
	}
	if q.value == nil {
		return true
	}
	return q.value(values[0])
}

// headerMatch is a compiled HeaderMatcher.
type headerMatch struct {
	name             string
	present          *bool       // present_match (or no specifier: present)
	value            stringMatch // every other specifier
	invert           bool
	treatMissingAsEm bool
}

// compileHeaderMatcher compiles a HeaderMatcher; the name is matched
// lower-cased, as Envoy stores it.
func compileHeaderMatcher(h *routev3.HeaderMatcher, path string) (headerMatch, error) {
	hm := headerMatch{name: asciiLower(h.GetName()), invert: h.GetInvertMatch(),
		treatMissingAsEm: h.GetTreatMissingHeaderAsEmpty()}
	var err error
	switch s := h.GetHeaderMatchSpecifier().(type) {
	case *routev3.HeaderMatcher_ExactMatch:
		want := s.ExactMatch //nolint:staticcheck // deprecated but accepted by Envoy (warning only), so implemented
		// The deprecated exact_match "" matches any value.
		hm.value = func(v string) bool { return want == "" || v == want }
	case *routev3.HeaderMatcher_PrefixMatch:
		want := s.PrefixMatch //nolint:staticcheck // deprecated but accepted by Envoy (warning only), so implemented
		hm.value = func(v string) bool { return strings.HasPrefix(v, want) }
	case *routev3.HeaderMatcher_SuffixMatch:
		want := s.SuffixMatch //nolint:staticcheck // deprecated but accepted by Envoy (warning only), so implemented
		hm.value = func(v string) bool { return strings.HasSuffix(v, want) }
	case *routev3.HeaderMatcher_ContainsMatch:
		want := s.ContainsMatch //nolint:staticcheck // deprecated but accepted by Envoy (warning only), so implemented
		hm.value = func(v string) bool { return strings.Contains(v, want) }
	case *routev3.HeaderMatcher_SafeRegexMatch:
		var re *compiledRegex
		//nolint:staticcheck // deprecated but accepted by Envoy (warning only), so implemented
		re, err = compileRegex(s.SafeRegexMatch, joinPath(path, "safe_regex_match"))
		if re != nil {
			hm.value = re.fullMatch
		}
	case *routev3.HeaderMatcher_RangeMatch:
		start, end := s.RangeMatch.GetStart(), s.RangeMatch.GetEnd()
		hm.value = func(v string) bool {
			n, perr := strconv.ParseInt(v, 10, 64)
			return perr == nil && n >= start && n < end
		}
	case *routev3.HeaderMatcher_StringMatch:
		hm.value, err = compileStringMatcher(s.StringMatch, joinPath(path, "string_match"))
	case *routev3.HeaderMatcher_PresentMatch:
		present := s.PresentMatch
		hm.present = &present
	default:
		present := true
		hm.present = &present
	}
	return hm, err
}

// matches follows Envoy's header matching (since 1.39 each value of a
// repeated header is matched on its own): a missing header matches only a
// present_match that expects it absent (inverted: present), unless
// treat_missing_header_as_empty makes it the value ""; otherwise the
// matcher holds when any value matches, and invert_match negates that.
func (h headerMatch) matches(req *Request) bool {
	values := requestHeaderValues(req, h.name)
	missing := len(values) == 0
	if missing && !h.treatMissingAsEm {
		if h.present == nil {
			return false
		}
		return *h.present == h.invert
	}
	if missing {
		values = []string{""}
	}
	var m bool
	if h.present != nil {
		m = *h.present
	} else {
		m = slices.ContainsFunc(values, h.value)
	}
	return m != h.invert
}

// requestHeaderValues returns the values of a header, pseudo-headers
// included.
func requestHeaderValues(req *Request, name string) []string {
	var v string
	switch name {
	case ":method":
		v = req.Method
	case ":authority":
		v = req.Authority
	case ":path":
		v = req.Path
	case ":scheme":
		v = req.Scheme
	default:
		return req.Headers[name]
	}
	if v == "" {
		return nil
	}
	return []string{v}
}
