package gatewayapi

import (
	"regexp"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// A gRPC request is an HTTP/2 POST to "/<service>/<method>": GRPCRoute
// method matches become path matches.

// Valid names for Exact method matches (the CRD's own patterns).
var (
	grpcServiceName = regexp.MustCompile(`^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$`)
	grpcMethodName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z_0-9]*$`)
)

// grpcAnyName is the regular expression of any service or method: one
// path element.
const grpcAnyName = "[^/]+"

// defaultGRPCMatches is what a GRPCRouteRule without matches means: every request.
var defaultGRPCMatches = []gwapiv1.GRPCRouteMatch{{}}

// buildGRPCMatches validates the matches of a GRPCRoute rule. Invalid
// matches are left out; their errors make the rule invalid. path is the
// rule's "matches" field.
func buildGRPCMatches(path fieldPath, matches []gwapiv1.GRPCRouteMatch) ([]*httpMatch, routeErrors) {
	if len(matches) == 0 {
		matches = defaultGRPCMatches
	}
	var errs routeErrors
	out := make([]*httpMatch, 0, len(matches))
	for j := range matches {
		m, err := buildGRPCMatch(path.Index(j), j, &matches[j])
		if err != nil {
			errs.add(err)
			continue
		}
		out = append(out, m)
	}
	return out, errs
}

func buildGRPCMatch(path fieldPath, j int, m *gwapiv1.GRPCRouteMatch) (*httpMatch, *routeError) {
	out := &httpMatch{index: j, grpc: true, path: &ir.StringMatch{Type: ir.MatchPrefix, Value: "/"}}
	if m.Method != nil {
		if err := out.setGRPCMethod(path.Child("method"), m.Method); err != nil {
			return nil, err
		}
	}
	headers := make([]gwapiv1.HTTPHeaderMatch, len(m.Headers))
	for i, h := range m.Headers {
		headers[i] = gwapiv1.HTTPHeaderMatch{Name: gwapiv1.HTTPHeaderName(h.Name), Value: h.Value}
		if h.Type != nil {
			headers[i].Type = new(gwapiv1.HeaderMatchType(*h.Type))
		}
	}
	var err *routeError
	if out.headers, err = headerMatches(path.Child("headers"), headers); err != nil {
		return nil, err
	}
	return out, nil
}

// setGRPCMethod sets the path match of a method match (path is its field
// path) and the lengths precedence looks at.
func (out *httpMatch) setGRPCMethod(path fieldPath, mm *gwapiv1.GRPCMethodMatch) *routeError {
	var service, method string
	if mm.Service != nil {
		service = *mm.Service
	}
	if mm.Method != nil {
		method = *mm.Method
	}
	if service == "" && method == "" {
		return unsupportedAt(path, "at least one of service and method must be set")
	}
	out.grpcService, out.grpcMethod = int32(len(service)), int32(len(method))
	typ := gwapiv1.GRPCMethodMatchExact
	if mm.Type != nil {
		typ = *mm.Type
	}
	switch typ {
	case gwapiv1.GRPCMethodMatchExact:
		pm, err := exactGRPCPath(path, service, method)
		out.path = pm
		return err
	case gwapiv1.GRPCMethodMatchRegularExpression:
		pm, err := regexGRPCPath(path, service, method)
		out.path = pm
		return err
	}
	return unsupportedAt(path.Child("type"), "method match type %q is not supported", typ)
}

// exactGRPCPath is the path match of an Exact method match: the exact
// path, the service's path prefix, or any service with that method.
func exactGRPCPath(path fieldPath, service, method string) (*ir.StringMatch, *routeError) {
	if service != "" && !grpcServiceName.MatchString(service) {
		return nil, unsupportedAt(path.Child("service"), "service %q is not a valid gRPC service name", service)
	}
	if method != "" && !grpcMethodName.MatchString(method) {
		return nil, unsupportedAt(path.Child("method"), "method %q is not a valid gRPC method name", method)
	}
	switch {
	case method == "":
		return &ir.StringMatch{Type: ir.MatchPrefix, Value: "/" + service}, nil
	case service == "":
		return &ir.StringMatch{Type: ir.MatchRegularExpression, Value: "/" + grpcAnyName + "/" + regexp.QuoteMeta(method)}, nil
	}
	return &ir.StringMatch{Type: ir.MatchExact, Value: "/" + service + "/" + method}, nil
}

// regexGRPCPath is the path match of a RegularExpression method match:
// "/<service>/<method>" with each expression as a group, an empty one
// matching any single path element.
func regexGRPCPath(path fieldPath, service, method string) (*ir.StringMatch, *routeError) {
	parts := [2]string{grpcAnyName, grpcAnyName}
	for i, p := range []struct {
		name, value string
	}{{"service", service}, {"method", method}} {
		if p.value == "" {
			continue
		}
		if err := checkRegex(path.Child(p.name), p.value); err != nil {
			return nil, err
		}
		parts[i] = "(?:" + p.value + ")"
	}
	return &ir.StringMatch{Type: ir.MatchRegularExpression, Value: "/" + parts[0] + "/" + parts[1]}, nil
}
