package router

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// vhostIndex selects virtual hosts by domain as Envoy's RouteMatcher.
type vhostIndex struct {
	exact map[string]*virtualHost
	// suffixes holds "*.foo.com" as ".foo.com", prefixes "foo.*" as "foo.",
	// each grouped by that length, longest first.
	suffixes []wildcardGroup
	prefixes []wildcardGroup
	dflt     *virtualHost
	// ignorePort is ignore_port_in_host_matching.
	ignorePort bool
}

type wildcardGroup struct {
	length int
	hosts  map[string]*virtualHost
}

// addDomains indexes the (already PGV-validated) domains of vh; domains
// are case-insensitive, duplicates across the configuration and a second
// "*" are errors Envoy reports when loading the configuration.
func (x *vhostIndex) addDomains(vh *virtualHost, domains []string, rcName, path string) error {
	for i, d := range domains {
		domain := asciiLower(d)
		at := fmt.Sprintf("%s.domains[%d]", path, i)
		var dup bool
		switch {
		case domain == "*":
			if x.dflt != nil {
				return fmt.Errorf("%s: invalid: only a single wildcard domain is permitted in route %s", at, rcName)
			}
			x.dflt = vh
		case strings.HasPrefix(domain, "*"):
			dup = addWildcard(&x.suffixes, domain[1:], vh)
		case strings.HasSuffix(domain, "*"):
			dup = addWildcard(&x.prefixes, domain[:len(domain)-1], vh)
		default:
			if x.exact == nil {
				x.exact = map[string]*virtualHost{}
			}
			_, dup = x.exact[domain]
			if !dup {
				x.exact[domain] = vh
			}
		}
		if dup {
			return fmt.Errorf("%s: invalid: only unique values for domains are permitted; "+
				"duplicate entry of domain %s in route %s", at, domain, rcName)
		}
	}
	return nil
}

func addWildcard(groups *[]wildcardGroup, key string, vh *virtualHost) (duplicate bool) {
	i := slices.IndexFunc(*groups, func(g wildcardGroup) bool { return g.length == len(key) })
	if i < 0 {
		*groups = append(*groups, wildcardGroup{length: len(key), hosts: map[string]*virtualHost{}})
		slices.SortFunc(*groups, func(a, b wildcardGroup) int { return cmp.Compare(b.length, a.length) })
		i = slices.IndexFunc(*groups, func(g wildcardGroup) bool { return g.length == len(key) })
	}
	if _, ok := (*groups)[i].hosts[key]; ok {
		return true
	}
	(*groups)[i].hosts[key] = vh
	return false
}

// find selects the virtual host of authority as Envoy does: with only a
// "*" virtual host it is always chosen; otherwise a request without
// authority has none; the authority, without its port when
// ignore_port_in_host_matching is set and lower-cased, is looked up as an
// exact domain, then against suffix wildcards from the longest, then
// prefix wildcards from the longest (a wildcard matches at least one
// character), then "*".
func (x *vhostIndex) find(authority string, hasAuthority bool) *virtualHost {
	if len(x.exact) == 0 && len(x.suffixes) == 0 && len(x.prefixes) == 0 {
		return x.dflt
	}
	if !hasAuthority {
		return nil
	}
	host := authority
	if x.ignorePort {
		if i := portStart(host); i >= 0 {
			host = host[:i]
		}
	}
	host = asciiLower(host)
	if vh, ok := x.exact[host]; ok {
		return vh
	}
	if vh := findWildcard(x.suffixes, host, func(l int) string { return host[len(host)-l:] }); vh != nil {
		return vh
	}
	if vh := findWildcard(x.prefixes, host, func(l int) string { return host[:l] }); vh != nil {
		return vh
	}
	return x.dflt
}

func findWildcard(groups []wildcardGroup, host string, part func(int) string) *virtualHost {
	for _, g := range groups {
		// >= because "*.foo.com" must not match ".foo.com".
		if g.length >= len(host) {
			continue
		}
		if vh, ok := g.hosts[part(g.length)]; ok {
			return vh
		}
	}
	return nil
}

// portStart is Envoy's HeaderUtility::getPortStart: the index of the ":"
// before the port of host, or -1 (an IPv6 literal is bracketed, so a ":"
// inside the brackets is not a port separator).
func portStart(host string) int {
	i := strings.LastIndexByte(host, ':')
	if i < 0 {
		return -1
	}
	if j := strings.LastIndexByte(host, ']'); j >= 0 && j > i {
		return -1
	}
	return i
}
