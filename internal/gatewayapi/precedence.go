package gatewayapi

import (
	"sort"
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
	// pathKind: 0 Exact, 1 RegularExpression, 2 Prefix.
	pathKind int
	pathLen  int
	method   bool
	headers  int
	queries  int
	created  time.Time
	// route is "<namespace>/<name>".
	route string
	rule  int
	match int
}

// pathKindRank orders path match types. Gateway API puts Exact before
// PathPrefix and leaves RegularExpression to implementations: it comes
// between them so that a catch-all prefix never shadows a regex.
func pathKindRank(t ir.StringMatchType) int {
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
	return httpOrderKey{
		hostname: hostname,
		pathKind: pathKindRank(match.path.Type),
		pathLen:  len(match.path.Value),
		method:   match.method != "",
		headers:  len(match.headers),
		queries:  len(match.queries),
		created:  m.obj.CreationTimestamp.Time,
		route:    m.obj.Namespace + "/" + m.obj.Name,
		rule:     rule,
		match:    match.index,
	}
}

// lessHTTPOrder is Gateway API HTTPRoute precedence, per virtual host: exact
// path, longest path, method, most headers, most query parameters, oldest
// route, route namespace/name, then rule and match order.
func lessHTTPOrder(a, b *httpOrderKey) bool {
	if a.hostname != b.hostname {
		return lessHostname(a.hostname, b.hostname)
	}
	if a.pathKind != b.pathKind {
		return a.pathKind < b.pathKind
	}
	if a.pathLen != b.pathLen {
		return a.pathLen > b.pathLen
	}
	if a.method != b.method {
		return a.method
	}
	if a.headers != b.headers {
		return a.headers > b.headers
	}
	if a.queries != b.queries {
		return a.queries > b.queries
	}
	if !a.created.Equal(b.created) {
		return a.created.Before(b.created)
	}
	if a.route != b.route {
		return a.route < b.route
	}
	if a.rule != b.rule {
		return a.rule < b.rule
	}
	return a.match < b.match
}

// sortHTTPRoutes puts a listener's routes in precedence order.
func sortHTTPRoutes(routes []orderedHTTPRoute) {
	sort.SliceStable(routes, func(i, j int) bool { return lessHTTPOrder(&routes[i].key, &routes[j].key) })
}
