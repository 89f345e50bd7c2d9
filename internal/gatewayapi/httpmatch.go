package gatewayapi

import (
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// httpMatch is one validated HTTPRouteMatch.
type httpMatch struct {
	index int
	// name is the IR route name of this match.
	name    string
	path    *ir.StringMatch
	headers []*ir.StringMatch
	queries []*ir.StringMatch
	method  string
	// grpc is set for a GRPCRoute match, with the lengths of the service
	// and method it matches (GRPCRoute precedence counts them).
	grpc                    bool
	grpcService, grpcMethod int32
}

// defaultMatches is what an HTTPRouteRule without matches means: every request.
var defaultMatches = []gwapiv1.HTTPRouteMatch{{}}

// buildMatches validates the matches of a rule. Invalid matches cannot be
// expressed and are left out; their errors make the rule invalid.
// path is the rule's "matches" field.
func buildMatches(path fieldPath, matches []gwapiv1.HTTPRouteMatch) ([]*httpMatch, routeErrors) {
	if len(matches) == 0 {
		matches = defaultMatches
	}
	var errs routeErrors
	out := make([]*httpMatch, 0, len(matches))
	for j := range matches {
		m, err := buildMatch(path.Index(j), j, &matches[j])
		if err != nil {
			errs.add(err)
			continue
		}
		out = append(out, m)
	}
	return out, errs
}

func buildMatch(path fieldPath, j int, m *gwapiv1.HTTPRouteMatch) (*httpMatch, *routeError) {
	pm, err := pathMatch(path.Child("path"), m.Path)
	if err != nil {
		return nil, err
	}
	out := &httpMatch{index: j, path: pm}
	if out.headers, err = headerMatches(path.Child("headers"), m.Headers); err != nil {
		return nil, err
	}
	if out.queries, err = queryMatches(path.Child("queryParams"), m.QueryParams); err != nil {
		return nil, err
	}
	if m.Method != nil {
		if !validMethod(*m.Method) {
			return nil, unsupportedAt(path.Child("method"), "method %q is not supported", *m.Method)
		}
		out.method = string(*m.Method)
	}
	return out, nil
}

// pathMatch converts a path match (default: PathPrefix "/"). A trailing "/"
// of a prefix is dropped: Gateway API ignores it and the IR prefix match is
// already element-wise. path is the match's "path" field.
func pathMatch(path fieldPath, p *gwapiv1.HTTPPathMatch) (*ir.StringMatch, *routeError) {
	typ, value := gwapiv1.PathMatchPathPrefix, "/"
	if p != nil && p.Type != nil {
		typ = *p.Type
	}
	if p != nil && p.Value != nil {
		value = *p.Value
	}
	vp := path.Child("value")
	switch typ {
	case gwapiv1.PathMatchExact:
		if !strings.HasPrefix(value, "/") {
			return nil, unsupportedAt(vp, "path %q must start with /", value)
		}
		return &ir.StringMatch{Type: ir.MatchExact, Value: value}, nil
	case gwapiv1.PathMatchPathPrefix:
		if !strings.HasPrefix(value, "/") {
			return nil, unsupportedAt(vp, "path prefix %q must start with /", value)
		}
		if err := checkPathPrefix(vp, value); err != nil {
			return nil, err
		}
		if len(value) > 1 {
			value = strings.TrimSuffix(value, "/")
		}
		return &ir.StringMatch{Type: ir.MatchPrefix, Value: value}, nil
	case gwapiv1.PathMatchRegularExpression:
		if err := checkRegex(vp, value); err != nil {
			return nil, err
		}
		return &ir.StringMatch{Type: ir.MatchRegularExpression, Value: value}, nil
	}
	return nil, unsupportedAt(path.Child("type"), "path match type %q is not supported", typ)
}

// headerMatches converts header matches; names are case-insensitive and only
// the first match of a name counts. path is the match's "headers" field.
func headerMatches(path fieldPath, hs []gwapiv1.HTTPHeaderMatch) ([]*ir.StringMatch, *routeError) {
	var out []*ir.StringMatch
	for i, h := range hs {
		name := strings.ToLower(string(h.Name))
		if err := checkHeaderName(path.Index(i).Child("name"), name); err != nil {
			return nil, err
		}
		if hasMatchName(out, name) {
			continue
		}
		typ := gwapiv1.HeaderMatchExact
		if h.Type != nil {
			typ = *h.Type
		}
		m, err := valueMatch(path.Index(i), name, string(typ), h.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// queryMatches converts query parameter matches; names are case-sensitive and
// only the first match of a name counts. path is the match's "queryParams" field.
func queryMatches(path fieldPath, qs []gwapiv1.HTTPQueryParamMatch) ([]*ir.StringMatch, *routeError) {
	var out []*ir.StringMatch
	for i, q := range qs {
		name := string(q.Name)
		if err := checkQueryParamName(path.Index(i).Child("name"), name); err != nil {
			return nil, err
		}
		if hasMatchName(out, name) {
			continue
		}
		typ := gwapiv1.QueryParamMatchExact
		if q.Type != nil {
			typ = *q.Type
		}
		m, err := valueMatch(path.Index(i), name, string(typ), q.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func hasMatchName(ms []*ir.StringMatch, name string) bool {
	for _, m := range ms {
		if m.Name == name {
			return true
		}
	}
	return false
}

// valueMatch converts an Exact or RegularExpression match of a named value;
// path is the header or query parameter match.
func valueMatch(path fieldPath, name, typ, value string) (*ir.StringMatch, *routeError) {
	switch typ {
	case string(gwapiv1.HeaderMatchExact):
		return &ir.StringMatch{Name: name, Type: ir.MatchExact, Value: value}, nil
	case string(gwapiv1.HeaderMatchRegularExpression):
		if err := checkRegex(path.Child("value"), value); err != nil {
			return nil, err
		}
		return &ir.StringMatch{Name: name, Type: ir.MatchRegularExpression, Value: value}, nil
	}
	return nil, unsupportedAt(path.Child("type"), "match type %q is not supported", typ)
}

func validMethod(m gwapiv1.HTTPMethod) bool {
	switch m {
	case gwapiv1.HTTPMethodGet, gwapiv1.HTTPMethodHead, gwapiv1.HTTPMethodPost, gwapiv1.HTTPMethodPut,
		gwapiv1.HTTPMethodDelete, gwapiv1.HTTPMethodConnect, gwapiv1.HTTPMethodOptions,
		gwapiv1.HTTPMethodTrace, gwapiv1.HTTPMethodPatch:
		return true
	}
	return false
}
