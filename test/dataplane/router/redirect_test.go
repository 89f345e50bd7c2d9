package router

import (
	"strings"
	"testing"
)

// redirectRC has one redirect route per case, each under its own
// path-separated prefix, in the shapes the translator emits.
const redirectRC = `
name: rc
ignorePortInHostMatching: true
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: port, match: {pathSeparatedPrefix: /port}, redirect: {portRedirect: 8083, responseCode: FOUND}}
  - {name: port-and-host, match: {pathSeparatedPrefix: /port-and-host},
     redirect: {hostRedirect: example.org, portRedirect: 8083, responseCode: FOUND}}
  - {name: port-and-status, match: {pathSeparatedPrefix: /port-and-status}, redirect: {portRedirect: 8083}}
  - {name: scheme, match: {pathSeparatedPrefix: /scheme}, redirect: {schemeRedirect: https, responseCode: FOUND}}
  - {name: scheme-and-host, match: {pathSeparatedPrefix: /scheme-and-host},
     redirect: {schemeRedirect: https, hostRedirect: example.org, responseCode: FOUND}}
  - {name: scheme-and-443, match: {pathSeparatedPrefix: /scheme-and-443},
     redirect: {schemeRedirect: https, portRedirect: 443, hostRedirect: example.org, responseCode: FOUND}}
  - {name: https-redirect, match: {pathSeparatedPrefix: /https-redirect}, redirect: {httpsRedirect: true}}
  - {name: host, match: {pathSeparatedPrefix: /hostname-redirect}, redirect: {hostRedirect: example.org, responseCode: FOUND}}
  - {name: host-and-status, match: {pathSeparatedPrefix: /host-and-status}, redirect: {hostRedirect: example.org}}
  - {name: prefix, match: {pathSeparatedPrefix: /original-prefix},
     redirect: {prefixRewrite: /replacement-prefix, responseCode: FOUND}}
  - {name: prefix-to-root, match: {pathSeparatedPrefix: /old},
     redirect: {regexRewrite: {pattern: {regex: ^/old/*}, substitution: /}, responseCode: TEMPORARY_REDIRECT}}
  - {name: full, match: {pathSeparatedPrefix: /full}, redirect: {pathRedirect: /full-path-replacement, responseCode: FOUND}}
  - {name: full-with-query, match: {pathSeparatedPrefix: /fq}, redirect: {pathRedirect: "/new?a=b", stripQuery: true}}
  - {name: strip, match: {pathSeparatedPrefix: /strip}, redirect: {stripQuery: true, responseCode: SEE_OTHER}}
  - {name: path-no-slash, match: {pathSeparatedPrefix: /noslash}, redirect: {pathRedirect: relative}}
  - {name: exact-prefix, match: {path: /exact}, redirect: {prefixRewrite: /e2, responseCode: PERMANENT_REDIRECT}}
`

// Locations follow Http::Utility::newUri (http/utility.cc): see newURI.
// The conformance expectations are those of HTTPRouteRedirectPort,
// RedirectScheme, RedirectHostAndStatus and RedirectPath.
func TestRedirectLocations(t *testing.T) {
	tb := compileYAML(t, redirectRC)
	for _, tc := range []struct {
		name, authority, path, xfp string
		status                     int
		location                   string
	}{
		// HTTPRouteRedirectPort.
		{"port", "gw:80", "/port", "http", 302, "http://gw:8083/port"},
		{"port replaces any request port", "gw:9999", "/port", "http", 302, "http://gw:8083/port"},
		{"port, host without port", "gw", "/port", "http", 302, "http://gw:8083/port"},
		{"port and host", "gw:80", "/port-and-host", "http", 302, "http://example.org:8083/port-and-host"},
		{"port and status (default code 301)", "gw:80", "/port-and-status", "http", 301, "http://gw:8083/port-and-status"},
		// HTTPRouteRedirectScheme: the default port of the old scheme goes.
		{"scheme", "gw:80", "/scheme", "http", 302, "https://gw/scheme"},
		{"scheme keeps a non-default port", "gw:8080", "/scheme", "http", 302, "https://gw:8080/scheme"},
		{"scheme, :443 over http is kept", "gw:443", "/scheme", "http", 302, "https://gw:443/scheme"},
		{"scheme, https to https keeps :443", "gw:443", "/scheme", "https", 302, "https://gw:443/scheme"},
		{"scheme and host", "gw:80", "/scheme-and-host", "http", 302, "https://example.org/scheme-and-host"},
		{"scheme, host and port", "gw:80", "/scheme-and-443", "http", 302, "https://example.org:443/scheme-and-443"},
		{"https_redirect", "gw:80", "/https-redirect", "http", 301, "https://gw/https-redirect"},
		{"https_redirect over https keeps :80", "gw:80", "/https-redirect", "https", 301, "https://gw:80/https-redirect"},
		// HTTPRouteRedirectHostAndStatus: host_redirect replaces host and port.
		{"host", "gw:80", "/hostname-redirect", "http", 302, "http://example.org/hostname-redirect"},
		{"host and status", "gw:80", "/host-and-status", "http", 301, "http://example.org/host-and-status"},
		{"host keeps the query", "gw:80", "/hostname-redirect?x=1", "http", 302,
			"http://example.org/hostname-redirect?x=1"},
		// HTTPRouteRedirectPath.
		{"prefix", "gw", "/original-prefix/lemon", "http", 302, "http://gw/replacement-prefix/lemon"},
		{"prefix keeps query", "gw", "/original-prefix/lemon?a=1", "http", 302, "http://gw/replacement-prefix/lemon?a=1"},
		{"prefix, path equals prefix", "gw", "/original-prefix", "http", 302, "http://gw/replacement-prefix"},
		{"regex prefix to root", "gw", "/old/x/y", "http", 307, "http://gw/x/y"},
		{"regex prefix to root, bare", "gw", "/old", "http", 307, "http://gw/"},
		{"regex prefix to root, slashes", "gw", "/old///x?q", "http", 307, "http://gw/x?q"},
		{"full path", "gw", "/full/path/original", "http", 302, "http://gw/full-path-replacement"},
		{"full path keeps the request query", "gw", "/full/path?q=1", "http", 302, "http://gw/full-path-replacement?q=1"},
		{"path_redirect with a query wins over strip_query", "gw", "/fq?q=1", "http", 301, "http://gw/new?a=b"},
		{"strip_query", "gw", "/strip/a?q=1&r=2", "http", 303, "http://gw/strip/a"},
		{"path without leading slash", "gw", "/noslash", "http", 301, "http://gw/relative"},
		{"prefix_rewrite on an exact path", "gw", "/exact?k=v", "http", 308, "http://gw/e2?k=v"},
		// IPv6 authority: the port after "]" is the one removed.
		{"ipv6 scheme change", "[::1]:80", "/scheme", "http", 302, "https://[::1]/scheme"},
		{"ipv6 port", "[::1]:80", "/port", "http", 302, "http://[::1]:8083/port"},
		{"ipv6 without port", "[::1]", "/port", "http", 302, "http://[::1]:8083/port"},
	} {
		req := get(tc.authority, tc.path)
		req.Headers.Set("x-forwarded-proto", tc.xfp)
		if tc.xfp == "https" {
			req.Scheme = "https"
		}
		d := tb.Route(req, fixedRand(0))
		if d.Direct == nil {
			t.Errorf("%s: not a direct response: %+v", tc.name, d)
			continue
		}
		if d.Direct.Status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, d.Direct.Status, tc.status)
		}
		if got := d.Direct.Headers.Values("location"); len(got) != 1 || got[0] != tc.location {
			t.Errorf("%s: location %q, want %q", tc.name, got, tc.location)
		}
		if len(d.Direct.Body) != 0 || d.Direct.Headers.Has("content-type") {
			t.Errorf("%s: a redirect has no body and no content-type: %+v", tc.name, d.Direct)
		}
	}
}

// The redirect scheme comes from :scheme, not from the connection, when
// the redirect does not set one.
func TestRedirectKeepsRequestScheme(t *testing.T) {
	tb := compileYAML(t, redirectRC)
	req := get("gw:8443", "/hostname-redirect")
	req.Scheme = "https"
	req.Headers.Set("x-forwarded-proto", "https")
	d := tb.Route(req, fixedRand(0))
	if got := d.Direct.Headers.Get("location"); got != "https://example.org/hostname-redirect" {
		t.Errorf("location %q", got)
	}
}

func TestRedirectCompileErrors(t *testing.T) {
	for _, tc := range []struct{ name, redirect, want string }{
		{"bad rewrite regex", `{regexRewrite: {pattern: {regex: "("}, substitution: /}}`,
			"virtual_hosts[0].routes[0].redirect.regex_rewrite.pattern.regex: invalid"},
		{"bad RE2 rewrite escape", `{regexRewrite: {pattern: {regex: "a"}, substitution: "\\x"}}`,
			"virtual_hosts[0].routes[0].redirect.regex_rewrite.substitution: invalid"},
		{"unknown response code", `{httpsRedirect: true, responseCode: 7}`,
			"virtual_hosts[0].routes[0].redirect.response_code: invalid"},
	} {
		_, err := Compile(parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, redirect: `+tc.redirect+`}]}]`))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}
