package router

import (
	"strings"
	"testing"
)

// Virtual host selection follows VirtualHost.domains' proto comment
// ("Domain search order: 1. Exact domain names 2. Suffix domain wildcards
// 3. Prefix domain wildcards 4. Special wildcard * ... the longest
// wildcard wins ... the wildcard will not match the empty string") and
// RouteMatcher::findVirtualHost in config_impl.cc.
func TestVirtualHostSelection(t *testing.T) {
	const rc = `
name: rc
ignorePortInHostMatching: true
virtualHosts:
- name: exact
  domains: [foo.bar.com, "Mixed.Example.com"]
  routes: [{name: exact, match: {prefix: /}, route: {cluster: c}}]
- name: suffix
  domains: ["*.bar.com"]
  routes: [{name: suffix, match: {prefix: /}, route: {cluster: c}}]
- name: longer-suffix
  domains: ["*-baz.bar.com"]
  routes: [{name: longer-suffix, match: {prefix: /}, route: {cluster: c}}]
- name: prefix
  domains: ["foo.*"]
  routes: [{name: prefix, match: {prefix: /}, route: {cluster: c}}]
- name: longer-prefix
  domains: ["foo.bar.*"]
  routes: [{name: longer-prefix, match: {prefix: /}, route: {cluster: c}}]
- name: default
  domains: ["*"]
  routes: [{name: default, match: {prefix: /}, route: {cluster: c}}]
`
	tb := compileYAML(t, rc)
	for _, tc := range []struct{ authority, want string }{
		{"foo.bar.com", "exact"},
		{"FOO.Bar.com", "exact"},           // domains are case-insensitive
		{"mixed.example.COM", "exact"},     // both sides lower-cased
		{"foo.bar.com:8080", "exact"},      // ignore_port_in_host_matching
		{"a.bar.com", "suffix"},            // suffix wildcard
		{"x-baz.bar.com", "longer-suffix"}, // longest suffix wins
		{"-baz.bar.com", "suffix"},         // "*-baz.bar.com" needs one more character
		{".bar.com", "default"},            // "*.bar.com" does not match ".bar.com"
		{"foo.example", "prefix"},          // prefix wildcard
		{"foo.bar.org", "longer-prefix"},   // longest prefix wins
		{"foo.bar.", "prefix"},             // "foo.bar.*" needs one more character
		{"a.bar.com.foo.org", "default"},   // neither
		{"other.org", "default"},           // "*"
		{"[::1]:80", "default"},            // IPv6 literal, port stripped
		{"q.bar.com:80", "suffix"},         // suffix after port stripping
		{"foo.bar.org:9", "longer-prefix"}, // prefix after port stripping
		{"foo.bar.com.", "longer-prefix"},  // no trailing-dot normalization here
		{strings.Repeat("x", 3) + ".bar.com", "suffix"},
	} {
		if got := routeName(t, tb, get(tc.authority, "/")); got != tc.want {
			t.Errorf("%q: got virtual host route %q, want %q", tc.authority, got, tc.want)
		}
	}
}

// Without ignore_port_in_host_matching Envoy matches host:port as given,
// so a domain may carry a port.
func TestVirtualHostPortMatching(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: with-port
  domains: ["foo.com:8080"]
  routes: [{name: with-port, match: {prefix: /}, route: {cluster: c}}]
- name: without-port
  domains: ["foo.com", "*.foo.com"]
  routes: [{name: without-port, match: {prefix: /}, route: {cluster: c}}]
`)
	for _, tc := range []struct{ authority, want string }{
		{"foo.com:8080", "with-port"},
		{"foo.com", "without-port"},
		{"foo.com:9090", "404"}, // no "*": no virtual host
		// ".foo.com" is compared with the end of "a.foo.com:9090": no match.
		{"a.foo.com:9090", "404"},
		{"a.foo.com", "without-port"},
	} {
		got := routeName(t, tb, get(tc.authority, "/"))
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.authority, got, tc.want)
		}
	}
}

// Envoy's fast path: with only a "*" virtual host it is selected even
// without an authority; otherwise a request without one finds none.
func TestVirtualHostWithoutAuthority(t *testing.T) {
	only := compileYAML(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]}]
`)
	if got := routeName(t, only, get("", "/")); got != "r" {
		t.Errorf("only *: got %q, want r", got)
	}
	two := compileYAML(t, `
name: rc
virtualHosts:
- {name: a, domains: [a.com], routes: [{name: a, match: {prefix: /}, route: {cluster: c}}]}
- {name: d, domains: ["*"], routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]}
`)
	if got := routeName(t, two, get("", "/")); got != "404" {
		t.Errorf("no authority: got %q, want 404", got)
	}
}

// Duplicate domains (case-insensitively) and a second "*" are NACKed, as
// RouteMatcher's constructor rejects them.
func TestVirtualHostDomainErrors(t *testing.T) {
	for _, tc := range []struct{ name, rc, want string }{
		{"duplicate exact", `
name: rc
virtualHosts:
- {name: a, domains: [a.com], routes: []}
- {name: b, domains: [A.com], routes: []}`, "virtual_hosts[1].domains[0]: invalid: only unique values for domains"},
		{"duplicate suffix", `
name: rc
virtualHosts:
- {name: a, domains: ["*.a.com", "*.A.COM"], routes: []}`, "virtual_hosts[0].domains[1]: invalid: only unique values"},
		{"two stars", `
name: rc
virtualHosts:
- {name: a, domains: ["*"], routes: []}
- {name: b, domains: ["*"], routes: []}`, "virtual_hosts[1].domains[0]: invalid: only a single wildcard domain"},
		{"empty domains", `
name: rc
virtualHosts:
- {name: a, domains: [], routes: []}`, "virtual_hosts[0].domains: invalid"},
	} {
		_, err := Compile(parseRC(t, tc.rc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}
