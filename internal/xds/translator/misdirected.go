package translator

import (
	"slices"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// misdirectedRoute answers 421 Misdirected Request: the request's host is
// one the TLS connection's listener does not serve (HTTP/2 lets a client
// reuse a connection for another host). It is shared by every route
// configuration and never modified.
var misdirectedRoute = &routev3.Route{
	Name:   "misdirected-request",
	Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
	Action: DirectResponse(421, ""),
}

// misdirectedHostnames are the hosts the route configuration of an HTTPS
// filter chain serving the listener hostnames own answers with 421: the
// hostnames of the port's other HTTPS listeners (their requests belong on
// their own TLS connections), and any other host when the chain's
// listeners have hostnames ("*"). others are the port's other listener
// hostnames ("*" for a listener without one).
func misdirectedHostnames(own, others []string) []string {
	var out []string
	for _, h := range others {
		if h != catchAllHostname && !slices.Contains(own, h) && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	if !slices.Contains(own, catchAllHostname) {
		out = append(out, catchAllHostname)
	}
	return out
}
