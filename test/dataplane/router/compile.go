package router

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// defaultMaxDirectResponseBodyBytes is
// RouteConfiguration.max_direct_response_body_size_bytes when unset.
const defaultMaxDirectResponseBodyBytes = 4096

// Table is a compiled RouteConfiguration, ready to route requests. It is
// immutable and safe for concurrent use.
type Table struct {
	name             string
	index            vhostIndex
	ignorePathParams bool
	mostSpecificWins bool
	request          *headerParser
	response         *headerParser
}

// Name is the route configuration's name.
func (t *Table) Name() string { return t.name }

// virtualHost is a compiled VirtualHost.
type virtualHost struct {
	name     string
	routes   []*route
	request  *headerParser
	response *headerParser
}

// route is a compiled Route: exactly one of action, redirect and direct
// is set.
type route struct {
	name      string
	perFilter map[string]any
	match     *routeMatch
	action    *routeAction
	redirect  *redirect
	direct    *directResponse
	request   *headerParser
	response  *headerParser
	// cors is the CORS filter's policy of the route (in perFilter too).
	cors *CORSPolicy
}

// directResponse is a compiled DirectResponseAction.
type directResponse struct {
	status int
	body   []byte
}

// Compile validates rc against Envoy's semantics and the implemented-field
// table and returns a table ready to route, or an error naming the field
// path (the data plane NACKs the RDS response with it). It checks, in
// order: that every field set is in ImplementedFields, the proto
// constraints Envoy enforces on every resource (protoc-gen-validate), then
// what Envoy checks when it builds the route table (domains, regexes,
// header mutations, weights, rewrites, body sizes).
func Compile(rc *routev3.RouteConfiguration) (*Table, error) {
	return CompileWith(rc, CompileOptions{})
}

// CompileOptions are what Compile needs from outside the router.
type CompileOptions struct {
	// PerFilterConfig compiles a route's typed_per_filter_config entry for
	// the HTTP filter name (path names the entry, for errors), as the
	// filter's factory does in Envoy; nil rejects every entry.
	PerFilterConfig func(name string, config *anypb.Any, path string) (any, error)
}

// CompileWith is Compile with the route-specific configurations of the
// HTTP filters compiled by opts.
func CompileWith(rc *routev3.RouteConfiguration, opts CompileOptions) (*Table, error) {
	if rc == nil {
		return nil, errors.New("route configuration is nil")
	}
	if err := checkFields(rc.ProtoReflect(), ""); err != nil {
		return nil, err
	}
	if err := validateProto(rc); err != nil {
		return nil, err
	}
	if rc.GetValidateClusters().GetValue() {
		return nil, errors.New("validate_clusters: true is not implemented by the test data plane " +
			"(the route table does not know the clusters)")
	}
	t := &Table{
		name:             rc.GetName(),
		index:            vhostIndex{ignorePort: rc.GetIgnorePortInHostMatching()},
		ignorePathParams: rc.GetIgnorePathParametersInPathMatching(),
		mostSpecificWins: rc.GetMostSpecificHeaderMutationsWins(),
	}
	var err error
	if t.request, err = compileHeaderParser(rc.GetRequestHeadersToAdd(), rc.GetRequestHeadersToRemove(), "",
		requestMutationFields); err != nil {
		return nil, err
	}
	if t.response, err = compileHeaderParser(rc.GetResponseHeadersToAdd(), rc.GetResponseHeadersToRemove(), "",
		responseMutationFields); err != nil {
		return nil, err
	}
	mirrors, err := compileMirrors(rc.GetRequestMirrorPolicies(), "request_mirror_policies")
	if err != nil {
		return nil, err
	}
	maxBody := uint64(defaultMaxDirectResponseBodyBytes)
	if rc.GetMaxDirectResponseBodySizeBytes() != nil {
		maxBody = uint64(rc.GetMaxDirectResponseBodySizeBytes().GetValue())
	}
	for i, v := range rc.GetVirtualHosts() {
		path := fmt.Sprintf("virtual_hosts[%d]", i)
		vh, err := compileVirtualHost(v, routeContext{mirrors: mirrors, maxBody: maxBody, opts: opts}, path)
		if err != nil {
			return nil, err
		}
		if err := t.index.addDomains(vh, v.GetDomains(), rc.GetName(), path); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// routeContext is what the routes of a virtual host get from the route
// configuration.
type routeContext struct {
	mirrors []*mirrorPolicy
	maxBody uint64
	opts    CompileOptions
}

func compileVirtualHost(v *routev3.VirtualHost, rcx routeContext, path string) (*virtualHost, error) {
	vh := &virtualHost{name: v.GetName()}
	var err error
	if vh.request, err = compileHeaderParser(v.GetRequestHeadersToAdd(), v.GetRequestHeadersToRemove(), path,
		requestMutationFields); err != nil {
		return nil, err
	}
	if vh.response, err = compileHeaderParser(v.GetResponseHeadersToAdd(), v.GetResponseHeadersToRemove(), path,
		responseMutationFields); err != nil {
		return nil, err
	}
	ctx := actionContext{vhostRetry: v.GetRetryPolicy(), vhostRetryAt: joinPath(path, "retry_policy"),
		mirrors: rcx.mirrors}
	if len(v.GetRequestMirrorPolicies()) > 0 {
		at := joinPath(path, "request_mirror_policies")
		if ctx.mirrors, err = compileMirrors(v.GetRequestMirrorPolicies(), at); err != nil {
			return nil, err
		}
	}
	for i, r := range v.GetRoutes() {
		rt, err := compileRoute(r, ctx, rcx, fmt.Sprintf("%s.routes[%d]", path, i))
		if err != nil {
			return nil, err
		}
		vh.routes = append(vh.routes, rt)
	}
	return vh, nil
}

func compileRoute(r *routev3.Route, ctx actionContext, rcx routeContext, path string) (*route, error) {
	rt := &route{name: r.GetName()}
	var err error
	if rt.perFilter, err = compilePerFilter(r.GetTypedPerFilterConfig(), rcx.opts,
		joinPath(path, "typed_per_filter_config")); err != nil {
		return nil, err
	}
	rt.cors, _ = rt.perFilter[CORSFilterName].(*CORSPolicy)
	if rt.match, err = compileRouteMatch(r.GetMatch(), joinPath(path, "match")); err != nil {
		return nil, err
	}
	if rt.request, err = compileHeaderParser(r.GetRequestHeadersToAdd(), r.GetRequestHeadersToRemove(), path,
		requestMutationFields); err != nil {
		return nil, err
	}
	if rt.response, err = compileHeaderParser(r.GetResponseHeadersToAdd(), r.GetResponseHeadersToRemove(), path,
		responseMutationFields); err != nil {
		return nil, err
	}
	switch a := r.GetAction().(type) {
	case *routev3.Route_Route:
		rt.action, err = compileRouteAction(a.Route, ctx, joinPath(path, "route"))
	case *routev3.Route_Redirect:
		rt.redirect, err = compileRedirect(a.Redirect, joinPath(path, "redirect"))
	case *routev3.Route_DirectResponse:
		rt.direct, err = compileDirectResponse(a.DirectResponse, rcx.maxBody, joinPath(path, "direct_response"))
	default:
		err = fmt.Errorf("%s: invalid: no action", path)
	}
	if err != nil {
		return nil, err
	}
	return rt, nil
}

func compileDirectResponse(d *routev3.DirectResponseAction, maxBody uint64, path string) (*directResponse, error) {
	dr := &directResponse{status: int(d.GetStatus())}
	switch s := d.GetBody().GetSpecifier().(type) {
	case *corev3.DataSource_InlineBytes:
		dr.body = s.InlineBytes
	case *corev3.DataSource_InlineString:
		dr.body = []byte(s.InlineString)
	}
	if uint64(len(dr.body)) > maxBody {
		return nil, fmt.Errorf("%s: invalid: response body size is %d bytes; maximum is %d",
			joinPath(path, "body"), len(dr.body), maxBody)
	}
	return dr, nil
}

// compilePerFilter compiles a route's typed_per_filter_config, in key
// order (so the first error is deterministic).
func compilePerFilter(m map[string]*anypb.Any, opts CompileOptions, path string) (map[string]any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		at := fmt.Sprintf("%s[%q]", path, name)
		if name == CORSFilterName {
			policy, err := compileCORSPerFilter(m[name], at)
			if err != nil {
				return nil, err
			}
			out[name] = policy
			continue
		}
		if opts.PerFilterConfig == nil {
			return nil, fmt.Errorf("%s: not implemented by the test data plane", at)
		}
		c, err := opts.PerFilterConfig(name, m[name], at)
		if err != nil {
			return nil, err
		}
		out[name] = c
	}
	return out, nil
}
