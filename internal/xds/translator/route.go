package translator

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unique"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/protovalidate"
	"github.com/envoygw/envoy-gateway/internal/re2size"
)

// catchAllHostname is the IR hostname of routes that match any host.
const catchAllHostname = "*"

// addRouteConfiguration adds the RouteConfiguration name built from
// routes, with a virtual host answering 421 for each misdirected hostname
// that has no routes.
func (t *translation) addRouteConfiguration(name string, routes []*ir.HTTPRoute, misdirected []string) {
	if rc := t.routeConfiguration(name, routes, misdirected); rc != nil {
		t.out.Routes = append(t.out.Routes, rc)
	}
}

// routeConfiguration builds the RouteConfiguration name from routes: one
// virtual host per hostname, routes in IR order within each. Each route
// and virtual host is validated alone; those that fail are left out. It
// returns nil when the configuration itself is invalid. With a cache, the
// configuration is patched from the last call's when it can be (see
// configMemo.patch), and built reusing its routes and virtual hosts when not.
func (t *translation) routeConfiguration(name string, routes []*ir.HTTPRoute, misdirected []string) *routev3.RouteConfiguration {
	c := t.cache
	if c == nil {
		return t.buildRouteConfiguration(name, routes, misdirected, nil, nil)
	}
	prev := c.configs[name]
	if prev != nil && prev.patch(name, routes, misdirected, &t.shared) {
		prev.gen = c.gen
		t.replay(prev.reports)
		return prev.config
	}
	next := &configMemo{gen: c.gen, routes: routes, misdirected: slices.Clone(misdirected)}
	next.reports = t.capture(func() { next.config = t.buildRouteConfiguration(name, routes, misdirected, prev, next) })
	c.configs[name] = next
	return next.config
}

// buildRouteConfiguration builds the configuration routeConfiguration
// returns, reusing the routes and virtual hosts of prev (nil: none) that
// did not change, and recording into next (nil: nowhere) the built routes,
// hostnames and virtual hosts. With next (a Cache's), routes are kept
// encoded and virtual hosts compact (see checkedCompactVirtualHost).
func (t *translation) buildRouteConfiguration(name string, routes []*ir.HTTPRoute, misdirected []string, prev, next *configMemo) *routev3.RouteConfiguration {
	prevBuilt, prevVhosts := prev.byRoute()
	built := make([]builtRoutes, len(routes))
	var order []string
	byHost := map[string][]int{} // the positions in routes of each hostname's routes
	for i, r := range routes {
		b, ok := prevBuilt[r]
		switch {
		case ok:
		case next != nil:
			b.wire, b.err = t.shared.routesOf(r)
		default:
			b.routes, b.err = CheckedRoutes(r)
		}
		built[i] = b
		if b.err != nil {
			t.leaveOut("route", "route", r.Name, fmt.Errorf("in route configuration %q: %w", name, b.err))
			continue
		}
		if _, ok := byHost[r.Hostname]; !ok {
			order = append(order, r.Hostname)
		}
		byHost[r.Hostname] = append(byHost[r.Hostname], i)
	}
	for _, h := range misdirected {
		if _, ok := byHost[h]; !ok {
			order = append(order, h)
			byHost[h] = nil // the misdirected route alone
		}
	}
	slices.SortFunc(order, compareHostnames)
	vhosts := make([]*routev3.VirtualHost, 0, len(order))
	var memoVhosts []*routev3.VirtualHost
	for _, h := range order {
		vh, err := t.hostVirtualHost(h, byHost[h], routes, built, prevVhosts[h], next != nil)
		memoVhosts = append(memoVhosts, vh)
		if err != nil {
			t.leaveOut("virtual host", "", h, fmt.Errorf("in route configuration %q: %w", name, err))
			continue
		}
		vhosts = append(vhosts, vh)
	}
	if next != nil {
		next.built, next.vhosts = built, memoVhosts
		next.hostOf = make([]unique.Handle[string], len(routes))
		for i, r := range routes {
			next.hostOf[i] = unique.Make(r.Hostname)
		}
	}
	if err := RouteConfiguration(name, nil).ValidateAll(); err != nil {
		t.leaveOut("route configuration", "", name, err)
		return nil
	}
	if prev != nil && prev.config != nil && slices.Equal(prev.config.GetVirtualHosts(), vhosts) {
		return prev.config
	}
	return RouteConfiguration(name, vhosts)
}

// hostVirtualHost returns the virtual host of hostname whose routes are
// those of built (for routes) at the positions at (none: the misdirected
// route alone), its own fields checked, or prev (nil: none) when it is
// that virtual host already. compact (a Cache's) makes it compact from the
// routes' encodings, or takes an equal one another configuration of the
// translation built (see sharedRoutes), and makes those encodings slices
// of its bytes.
func (t *translation) hostVirtualHost(hostname string, at []int, routes []*ir.HTTPRoute, built []builtRoutes, prev *routev3.VirtualHost, compact bool) (*routev3.VirtualHost, error) {
	if !compact {
		envoyRoutes := []*routev3.Route{misdirectedRoute}
		if len(at) > 0 {
			envoyRoutes = nil
			for _, i := range at {
				envoyRoutes = append(envoyRoutes, built[i].routes...)
			}
		}
		if prev != nil && slices.Equal(prev.GetRoutes(), envoyRoutes) {
			return prev, nil
		}
		return validVirtualHost(hostname, envoyRoutes)
	}
	wires := [][]byte{misdirectedWire}
	if len(at) > 0 {
		wires = make([][]byte, len(at))
		for k, i := range at {
			wires[k] = built[i].wire
		}
	}
	vh, parts, err := checkedCompactVirtualHost(hostname, wires, prev, t.shared.vhostsOf(hostname))
	if err != nil {
		return nil, err
	}
	hostRoutes := make([]*ir.HTTPRoute, len(at))
	for k, i := range at {
		built[i].wire = parts[k]
		hostRoutes[k] = routes[i]
	}
	t.shared.add(vh, hostRoutes, parts)
	return vh, nil
}

// CheckedRoutes builds the Envoy routes of one IR route (see buildRoutes)
// and runs the protos' ValidateAll on each: it fails when Envoy would
// refuse them. The resource translator uses it to reject, with a status,
// any route that would still be left out here.
func CheckedRoutes(r *ir.HTTPRoute) ([]*routev3.Route, error) {
	built, err := buildRoutes(r)
	if err != nil {
		return nil, err
	}
	for _, b := range built {
		validate := b.ValidateAll
		if len(b.TypedPerFilterConfig) > 0 {
			validate = func() error { return protovalidate.Deep(b) }
		}
		if err := validate(); err != nil {
			return nil, err
		}
	}
	return built, nil
}

// compareHostnames sorts hostnames alphabetically with the catch-all last.
func compareHostnames(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == catchAllHostname:
		return 1
	case b == catchAllHostname:
		return -1
	}
	return cmp.Compare(a, b)
}

// RouteConfiguration is a route configuration served over RDS.
func RouteConfiguration(name string, vhosts []*routev3.VirtualHost) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{
		Name:         name,
		VirtualHosts: vhosts,
		// Clusters arrive over CDS; an unknown cluster must not reject the
		// whole configuration.
		ValidateClusters: wrapperspb.Bool(false),
		// Gateway API hostnames have no port: match "foo.com:8080" as
		// "foo.com", without changing the Host header sent upstream.
		IgnorePortInHostMatching: true,
	}
}

// VirtualHost is the virtual host of one hostname ("*" for any, "*.example.com"
// for a wildcard, both valid Envoy domain patterns).
func VirtualHost(hostname string, routes []*routev3.Route) *routev3.VirtualHost {
	return &routev3.VirtualHost{Name: hostname, Domains: []string{hostname}, Routes: routes}
}

// buildRoutes translates one IR route into one Envoy route, or two when part
// of its destination is invalid: first a route answering that share with 500,
// then the route to the valid backends.
func buildRoutes(r *ir.HTTPRoute) ([]*routev3.Route, error) {
	match, err := RouteMatch(r)
	if err != nil {
		return nil, err
	}
	route := &routev3.Route{Name: r.Name, Match: match}
	setHeaderModifiers(route, r)
	setCORS(route, r)
	switch {
	case r.Redirect != nil:
		redirect, err := RedirectAction(r.Redirect, r.PathMatch)
		if err != nil {
			return nil, err
		}
		route.Action = &routev3.Route_Redirect{Redirect: redirect}
		setRateLimits(route, r.RateLimit)
	case r.DirectResponse != nil:
		route.Action = DirectResponse(r.DirectResponse.StatusCode, r.DirectResponse.Body)
	case len(r.Destination.Backends) == 0:
		route.Action = DirectResponse(500, "")
	default:
		route.Action = &routev3.Route_Route{Route: RouteAction(r)}
		setRateLimits(route, r.RateLimit)
		if r.Destination.InvalidWeight > 0 {
			invalid := InvalidBackendRoute(r.Name, match, invalidShare(r.Destination))
			return []*routev3.Route{invalid, route}, nil
		}
	}
	return []*routev3.Route{route}, nil
}

// invalidShare is the share of requests, in millionths, that must fail.
func invalidShare(d *ir.Destination) uint32 {
	total := uint64(d.InvalidWeight)
	for _, b := range d.Backends {
		total += uint64(b.Weight)
	}
	return uint32(math.Round(float64(d.InvalidWeight) * 1e6 / float64(total)))
}

// InvalidBackendRoute answers the given share (in millionths) of the requests
// matching match with HTTP 500; the rest fall through to the next route.
func InvalidBackendRoute(route string, match *routev3.RouteMatch, millionths uint32) *routev3.Route {
	m := cloneMatch(match)
	m.RuntimeFraction = &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{
		Numerator:   millionths,
		Denominator: typev3.FractionalPercent_MILLION,
	}}
	return &routev3.Route{Name: invalidBackendRouteName(route), Match: m, Action: DirectResponse(500, "")}
}

func cloneMatch(m *routev3.RouteMatch) *routev3.RouteMatch {
	return &routev3.RouteMatch{
		PathSpecifier:   m.PathSpecifier,
		Headers:         m.Headers,
		QueryParameters: m.QueryParameters,
	}
}

// DirectResponse answers with status and, when not empty, body.
func DirectResponse(status uint32, body string) *routev3.Route_DirectResponse {
	d := &routev3.DirectResponseAction{Status: status}
	if body != "" {
		d.Body = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: body}}
	}
	return &routev3.Route_DirectResponse{DirectResponse: d}
}

// RouteMatch matches the path (a path-element prefix of "/" when the IR has
// none), headers, query parameters and method of r.
func RouteMatch(r *ir.HTTPRoute) (*routev3.RouteMatch, error) {
	m := &routev3.RouteMatch{}
	if err := setPathMatch(m, r.PathMatch); err != nil {
		return nil, err
	}
	for _, h := range r.HeaderMatches {
		sm, err := StringMatcher(h)
		if err != nil {
			return nil, fmt.Errorf("header %q: %w", h.Name, err)
		}
		m.Headers = append(m.Headers, &routev3.HeaderMatcher{
			Name:                 h.Name,
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: sm},
		})
	}
	if r.Method != "" {
		m.Headers = append(m.Headers, &routev3.HeaderMatcher{
			Name: ":method",
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
				MatchPattern: &matcherv3.StringMatcher_Exact{Exact: r.Method},
			}},
		})
	}
	for _, q := range r.QueryParamMatches {
		sm, err := StringMatcher(q)
		if err != nil {
			return nil, fmt.Errorf("query parameter %q: %w", q.Name, err)
		}
		m.QueryParameters = append(m.QueryParameters, &routev3.QueryParameterMatcher{
			Name:                         q.Name,
			QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: sm},
		})
	}
	return m, nil
}

func setPathMatch(m *routev3.RouteMatch, p *ir.StringMatch) error {
	if p == nil {
		m.PathSpecifier = &routev3.RouteMatch_Prefix{Prefix: "/"}
		return nil
	}
	switch p.Type {
	case ir.MatchExact:
		m.PathSpecifier = &routev3.RouteMatch_Path{Path: p.Value}
	case ir.MatchPrefix:
		prefix := strings.TrimRight(p.Value, "/")
		if prefix == "" {
			m.PathSpecifier = &routev3.RouteMatch_Prefix{Prefix: "/"}
		} else {
			m.PathSpecifier = &routev3.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: prefix}
		}
	case ir.MatchRegularExpression:
		if err := checkRegex(p.Value); err != nil {
			return fmt.Errorf("path: %w", err)
		}
		m.PathSpecifier = &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: p.Value}}
	default:
		return fmt.Errorf("path: unknown match type %q", p.Type)
	}
	return nil
}

// StringMatcher matches a header or query parameter value.
func StringMatcher(s *ir.StringMatch) (*matcherv3.StringMatcher, error) {
	switch s.Type {
	case ir.MatchExact:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s.Value}}, nil
	case ir.MatchPrefix:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: s.Value}}, nil
	case ir.MatchRegularExpression:
		if err := checkRegex(s.Value); err != nil {
			return nil, err
		}
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{
			SafeRegex: &matcherv3.RegexMatcher{Regex: s.Value},
		}}, nil
	}
	return nil, fmt.Errorf("unknown match type %q", s.Type)
}

// checkRegex rejects what Envoy would NACK: a regex RE2 (whose syntax Go's
// regexp shares) cannot compile, or whose RE2 program is too big.
func checkRegex(re string) error {
	return re2size.Check(re)
}

// RouteAction forwards to the valid backends of r's destination, with its
// rewrites, mirrors and timeouts.
func RouteAction(r *ir.HTTPRoute) *routev3.RouteAction {
	a := &routev3.RouteAction{}
	backends := r.Destination.Backends
	if len(backends) == 1 && backends[0].RequestHeaders == nil && backends[0].ResponseHeaders == nil {
		a.ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: backends[0].Cluster}
	} else {
		w := &routev3.WeightedCluster{}
		for _, b := range backends {
			w.Clusters = append(w.Clusters, ClusterWeight(b))
		}
		a.ClusterSpecifier = &routev3.RouteAction_WeightedClusters{WeightedClusters: w}
	}
	if rw := r.Rewrite; rw != nil {
		if rw.Hostname != nil {
			a.HostRewriteSpecifier = &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: *rw.Hostname}
		}
		if rw.Path != nil {
			full, prefix, regex := pathRewrite(rw.Path, r.PathMatch)
			switch {
			case full != nil:
				a.RegexRewrite = &matcherv3.RegexMatchAndSubstitute{
					Pattern:      &matcherv3.RegexMatcher{Regex: "^/.*$"},
					Substitution: literalSubstitution(*full),
				}
			case regex != nil:
				a.RegexRewrite = regex
			case prefix != "":
				a.PrefixRewrite = prefix
			}
		}
	}
	for _, m := range r.Mirrors {
		a.RequestMirrorPolicies = append(a.RequestMirrorPolicies, MirrorPolicy(m))
	}
	if r.Timeout != nil {
		a.Timeout = durationpb.New(time.Duration(*r.Timeout))
	}
	a.RetryPolicy = retryPolicy(r)
	return a
}

// retryPolicy is the route's Envoy retry policy, nil when the route has
// neither a retry stanza nor a backend request timeout. The backend request
// timeout is the per-try timeout. A retry stanza retries its status codes
// ("retriable-status-codes"), connection failures ("connect-failure") and
// resets, disconnects and per-try timeouts ("reset"), Attempts times, with
// its back-off as the base interval (Envoy's jittered exponential back-off;
// the maximum stays ten base intervals). Without one, num_retries is 0: it
// would default to 1 once a policy exists.
func retryPolicy(r *ir.HTTPRoute) *routev3.RetryPolicy {
	if r.Retry == nil && r.BackendRequestTimeout == nil {
		return nil
	}
	p := &routev3.RetryPolicy{NumRetries: wrapperspb.UInt32(0)}
	if t := r.BackendRequestTimeout; t != nil {
		p.PerTryTimeout = durationpb.New(time.Duration(*t))
	}
	rt := r.Retry
	if rt == nil {
		return p
	}
	on := []string{"connect-failure", "reset"}
	if len(rt.Codes) > 0 {
		on = append([]string{"retriable-status-codes"}, on...)
		p.RetriableStatusCodes = slices.Clone(rt.Codes)
	}
	p.RetryOn = strings.Join(on, ",")
	p.NumRetries = wrapperspb.UInt32(rt.Attempts)
	if rt.Backoff != nil {
		p.RetryBackOff = &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(time.Duration(*rt.Backoff))}
	}
	return p
}

// ClusterWeight is one cluster of weighted clusters, with the header
// modifications of its backendRef.
func ClusterWeight(b *ir.WeightedCluster) *routev3.WeightedCluster_ClusterWeight {
	c := &routev3.WeightedCluster_ClusterWeight{Name: b.Cluster, Weight: wrapperspb.UInt32(b.Weight)}
	if m := b.RequestHeaders; m != nil {
		c.RequestHeadersToAdd, c.RequestHeadersToRemove = headerEdits(m)
	}
	if m := b.ResponseHeaders; m != nil {
		c.ResponseHeadersToAdd, c.ResponseHeadersToRemove = headerEdits(m)
	}
	return c
}

// pathRewrite turns a path rewrite into either a full path, a prefix
// replacement, or a regex substitution (replacing a prefix with "/" needs
// one, as does replacing the "/" prefix, to keep Gateway API's
// path-element semantics). All results are nil/empty for a no-op.
func pathRewrite(p *ir.PathRewrite, match *ir.StringMatch) (full *string, prefix string, regex *matcherv3.RegexMatchAndSubstitute) {
	if p.FullPath != nil {
		return p.FullPath, "", nil
	}
	if p.PrefixMatch == nil {
		return nil, "", nil
	}
	matched := ""
	if match != nil {
		matched = strings.TrimRight(match.Value, "/")
	}
	replacement := strings.TrimRight(*p.PrefixMatch, "/")
	switch {
	case matched == "" && replacement == "":
		return nil, "", nil
	case matched == "":
		// "/" matched: insert the replacement before the whole path.
		return nil, replacement + "/", nil
	case replacement == "":
		// "/foo/bar" -> "/bar", "/foo" -> "/".
		return nil, "", &matcherv3.RegexMatchAndSubstitute{
			Pattern:      &matcherv3.RegexMatcher{Regex: "^" + regexp.QuoteMeta(matched) + "/*"},
			Substitution: "/",
		}
	}
	return nil, replacement, nil
}

// literalSubstitution escapes a literal path for an RE2 substitution, where
// a backslash followed by a digit refers to a capture group and two
// backslashes stand for one.
func literalSubstitution(path string) string {
	return strings.ReplaceAll(path, `\`, `\\`)
}

// MirrorPolicy sends a copy of the requests (all, or Percent of them) to a cluster.
func MirrorPolicy(m *ir.Mirror) *routev3.RouteAction_RequestMirrorPolicy {
	p := &routev3.RouteAction_RequestMirrorPolicy{Cluster: m.Cluster}
	if m.Percent != nil {
		p.RuntimeFraction = &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{
			Numerator:   uint32(math.Round(min(max(*m.Percent, 0), 100) * 10000)),
			Denominator: typev3.FractionalPercent_MILLION,
		}}
	}
	return p
}

// redirectCodes maps the IR's redirect status codes to Envoy's.
var redirectCodes = map[int]routev3.RedirectAction_RedirectResponseCode{
	301: routev3.RedirectAction_MOVED_PERMANENTLY,
	302: routev3.RedirectAction_FOUND,
	303: routev3.RedirectAction_SEE_OTHER,
	307: routev3.RedirectAction_TEMPORARY_REDIRECT,
	308: routev3.RedirectAction_PERMANENT_REDIRECT,
}

// RedirectAction answers with a redirect; match is the route's path match,
// needed to replace a matched prefix.
func RedirectAction(r *ir.Redirect, match *ir.StringMatch) (*routev3.RedirectAction, error) {
	code, ok := redirectCodes[r.StatusCode]
	if !ok {
		return nil, fmt.Errorf("redirect status code %d is not 301, 302, 303, 307 or 308", r.StatusCode)
	}
	a := &routev3.RedirectAction{ResponseCode: code}
	if r.Scheme != nil {
		a.SchemeRewriteSpecifier = &routev3.RedirectAction_SchemeRedirect{SchemeRedirect: *r.Scheme}
	}
	if r.Hostname != nil {
		a.HostRedirect = *r.Hostname
	}
	if r.Port != nil {
		a.PortRedirect = *r.Port
	}
	if r.Path != nil {
		full, prefix, regex := pathRewrite(r.Path, match)
		switch {
		case full != nil:
			a.PathRewriteSpecifier = &routev3.RedirectAction_PathRedirect{PathRedirect: *full}
		case regex != nil:
			a.PathRewriteSpecifier = &routev3.RedirectAction_RegexRewrite{RegexRewrite: regex}
		case prefix != "":
			a.PathRewriteSpecifier = &routev3.RedirectAction_PrefixRewrite{PrefixRewrite: prefix}
		}
	}
	return a, nil
}

// Checks is the resource translator's view of this package
// (gatewayapi.DataPlane): it checks IR elements the way Translate does.
type Checks struct{}

// CheckHTTPRoute fails when Translate would leave the route out for its
// own content (CheckedRoutes); a missing cluster is not checked.
func (Checks) CheckHTTPRoute(r *ir.HTTPRoute) error {
	_, err := CheckedRoutes(r)
	return err
}
