package gatewayapi

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Hostnames inside the translator are plain strings: "" means "any host"
// (a listener without hostname, a route without hostnames), "*.example.com" is
// a wildcard and anything else is a precise hostname. The IR spells "any" "*".

// anyHost is how the IR spells "every hostname".
const anyHost = "*"

// irHostname turns an internal hostname into its IR spelling.
func irHostname(h string) string {
	if h == "" {
		return anyHost
	}
	return h
}

// validateHostname checks a Gateway API hostname: an RFC 1123 subdomain,
// optionally prefixed by a single "*." wildcard label, and not an IP address.
func validateHostname(h string) error {
	if net.ParseIP(h) != nil {
		return fmt.Errorf("hostname %q must not be an IP address", h)
	}
	name := strings.TrimPrefix(h, "*.")
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("hostname %q is invalid: %s", h, strings.Join(errs, ", "))
	}
	return nil
}

// hostnameCovers reports whether every host matched by inner is also matched
// by outer. "*.example.com" covers "a.example.com" and "*.a.example.com" but
// not "example.com"; "" covers everything.
func hostnameCovers(outer, inner string) bool {
	switch {
	case outer == "":
		return true
	case inner == "":
		return false
	case !strings.HasPrefix(outer, "*."):
		return outer == inner
	}
	suffix := outer[1:] // ".example.com"
	if strings.HasPrefix(inner, "*.") {
		return inner == outer || strings.HasSuffix(inner[1:], suffix)
	}
	return strings.HasSuffix(inner, suffix)
}

// intersectHostname returns the hosts matched by both a route hostname and a
// listener hostname, which Gateway API defines to be the narrower of the two
// when one covers the other, and nothing otherwise.
func intersectHostname(route, listener string) (string, bool) {
	switch {
	case hostnameCovers(listener, route):
		return route, true
	case hostnameCovers(route, listener):
		return listener, true
	}
	return "", false
}

// intersectHostnames returns the hostnames a route serves on a listener, in
// route order without duplicates. A route without hostnames gets the
// listener's hostname; an empty result means the route does not match.
// When the listener covers every hostname of the route and the route
// repeats none (what validated hostnames and most listeners give), the
// result is route itself: callers never modify it.
func intersectHostnames(route []string, listener string) []string {
	if len(route) == 0 {
		return []string{listener}
	}
	if coversAll(listener, route) {
		return route
	}
	out := make([]string, 0, len(route))
	for _, h := range route {
		if i, ok := intersectHostname(h, listener); ok && !containsString(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// coversAll reports whether listener covers each of hostnames, and
// hostnames has no repeats.
func coversAll(listener string, hostnames []string) bool {
	for i, h := range hostnames {
		if !hostnameCovers(listener, h) || containsString(hostnames[:i], h) {
			return false
		}
	}
	return true
}

func containsString(list []string, s string) bool {
	return slices.Contains(list, s)
}

// hostnameRank orders hostnames from most to least specific: precise names
// first, then wildcards with more labels, then "any". Ties are broken by the
// caller (alphabetically).
func hostnameRank(h string) (class int, labels int) {
	switch {
	case h == "":
		return 2, 0
	case strings.HasPrefix(h, "*."):
		return 1, -strings.Count(h, ".")
	default:
		return 0, 0
	}
}

// lessHostname is the total order used to list virtual hosts and routes.
func lessHostname(a, b string) bool {
	ca, la := hostnameRank(a)
	cb, lb := hostnameRank(b)
	if ca != cb {
		return ca < cb
	}
	if la != lb {
		return la < lb
	}
	return a < b
}
