package gatewayapi

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// orderedHTTPRoute is an IR route with the key that places it.
type orderedHTTPRoute struct {
	key   httpOrderKey
	route *ir.HTTPRoute
}

// httpOrderKey holds everything Gateway API route precedence looks at.
type httpOrderKey struct {
	// hostname groups routes by virtual host (most specific first).
	hostname string
	// grpc is set for GRPCRoute matches, which sort by the lengths of the
	// service and method they match, then by headers; their path fields are 0.
	grpc                    bool
	grpcService, grpcMethod int32
	// pathKind: 0 Exact, 1 RegularExpression, 2 Prefix.
	pathKind int8
	method   bool
	pathLen  int32
	headers  int32
	queries  int32
	// created is the route's creation time in Unix nanoseconds.
	created int64
	// route is "<namespace>/<name>".
	route string
	rule  int32
	match int32
}

// unixNanos is t in Unix nanoseconds, clamped to the int64 range so that
// the zero time (an object without creationTimestamp) sorts as the oldest.
func unixNanos(t time.Time) int64 {
	const maxSeconds = math.MaxInt64/int64(time.Second) - 1
	switch sec := t.Unix(); {
	case sec < -maxSeconds:
		return math.MinInt64
	case sec > maxSeconds:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// pathKindRank orders path match types. Gateway API puts Exact before
// PathPrefix and leaves RegularExpression to implementations: it comes
// between them so that a catch-all prefix never shadows a regex.
func pathKindRank(t ir.StringMatchType) int8 {
	switch t {
	case ir.MatchExact:
		return 0
	case ir.MatchRegularExpression:
		return 1
	}
	return 2
}

// httpOrder builds the precedence key of one match of one rule on one hostname.
func httpOrder(m *httpRouteModel, rule int, match *httpMatch, hostname string) httpOrderKey {
	k := httpOrderKey{
		hostname: hostname,
		method:   match.method != "",
		headers:  int32(len(match.headers)),
		queries:  int32(len(match.queries)),
		created:  m.created,
		route:    m.key,
		rule:     int32(rule),
		match:    int32(match.index),
	}
	if match.grpc {
		k.grpc, k.grpcService, k.grpcMethod = true, match.grpcService, match.grpcMethod
		return k
	}
	k.pathKind, k.pathLen = pathKindRank(match.path.Type), int32(len(match.path.Value))
	return k
}

// compareHTTPOrder is Gateway API HTTPRoute precedence, per virtual host:
// exact path, longest path, method, most headers, most query parameters,
// oldest route, route namespace/name, then rule and match order. GRPCRoute
// matches (which never share a virtual host with HTTPRoute ones once
// conflicts are resolved) come after, in GRPCRoute precedence: longest
// service, longest method, most headers, then the same ties. It returns a
// negative number when a comes first.
func compareHTTPOrder(a, b *httpOrderKey) int {
	return cmp.Or(
		compareHostnames(a.hostname, b.hostname),
		compareTrueFirst(b.grpc, a.grpc),
		cmp.Compare(b.grpcService, a.grpcService),
		cmp.Compare(b.grpcMethod, a.grpcMethod),
		cmp.Compare(a.pathKind, b.pathKind),
		cmp.Compare(b.pathLen, a.pathLen),
		compareTrueFirst(a.method, b.method),
		cmp.Compare(b.headers, a.headers),
		cmp.Compare(b.queries, a.queries),
		cmp.Compare(a.created, b.created),
		strings.Compare(a.route, b.route),
		cmp.Compare(a.rule, b.rule),
		cmp.Compare(a.match, b.match),
	)
}

// compareHostnames orders two hostnames as lessHostname does, returning 0
// when they are equal.
func compareHostnames(a, b string) int {
	switch {
	case a == b:
		return 0
	case lessHostname(a, b):
		return -1
	default:
		return 1
	}
}

// compareTrueFirst orders true before false.
func compareTrueFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	default:
		return 1
	}
}

// lessHTTPOrder reports whether a comes before b.
func lessHTTPOrder(a, b *httpOrderKey) bool { return compareHTTPOrder(a, b) < 0 }

// sortHTTPRoutes puts a listener's routes in precedence order. Keys are
// unique, so the order is total and does not depend on the input order.
func sortHTTPRoutes(routes []orderedHTTPRoute) {
	slices.SortFunc(routes, func(a, b orderedHTTPRoute) int { return compareHTTPOrder(&a.key, &b.key) })
}
