package router

import (
	"strings"
	"testing"
)

// Routes are matched in order, first match wins (VirtualHost.routes: "The
// list of routes that will be matched, in order, for incoming requests.
// The first route that matches will be used."). This is the shape the
// translator gives HTTPRoutePathMatchOrder: exact paths, then longest
// path-separated prefixes, then "/".
func TestRouteOrderAndPathKinds(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: exact-v1, match: {path: /match/exact/one}, route: {cluster: c}}
  - {name: exact-v2, match: {path: /match/exact}, route: {cluster: c}}
  - {name: psp-long, match: {pathSeparatedPrefix: /match/prefix/one}, route: {cluster: c}}
  - {name: psp, match: {pathSeparatedPrefix: /match}, route: {cluster: c}}
  - {name: regex, match: {safeRegex: {regex: "/re/[a-z]+/[0-9]{2}"}}, route: {cluster: c}}
  - {name: raw-prefix, match: {prefix: /raw}, route: {cluster: c}}
  - {name: root, match: {prefix: /}, route: {cluster: c}}
`)
	for _, tc := range []struct{ path, want string }{
		{"/match/exact/one", "exact-v1"},
		{"/match/exact/one?x=1", "exact-v1"}, // query is not part of the path
		{"/match/exact/one#frag", "exact-v1"},
		{"/match/exact/one/", "psp"}, // exact means exact
		{"/match/exact", "exact-v2"},
		{"/match/prefix/one", "psp-long"},
		{"/match/prefix/one/two", "psp-long"},
		{"/match/prefix/onetwo", "psp"}, // path_separated_prefix stops at a "/" boundary
		{"/match/prefix/one?q", "psp-long"},
		{"/match", "psp"},
		{"/matchx", "root"},
		{"/match/", "psp"},
		{"/re/abc/12", "regex"},
		{"/re/abc/12?q=1", "regex"}, // regex on the path without query
		{"/re/abc/123", "root"},     // full match only
		{"/x/re/abc/12", "root"},
		{"/rawhide", "raw-prefix"}, // plain prefix has no boundary
		{"/", "root"},
	} {
		if got := routeName(t, tb, get("any", tc.path)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.path, got, tc.want)
		}
	}
}

// RouteMatch.case_sensitive: "Indicates that prefix/path matching should
// be case-sensitive. The default is true. Ignored for safe_regex
// matching."
func TestCaseSensitivity(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: exact-ci, match: {path: /Exact, caseSensitive: false}, route: {cluster: c}}
  - {name: psp-ci, match: {pathSeparatedPrefix: /PSP, caseSensitive: false}, route: {cluster: c}}
  - {name: prefix-ci, match: {prefix: /Pre, caseSensitive: false}, route: {cluster: c}}
  - {name: regex, match: {safeRegex: {regex: /Re}, caseSensitive: false}, route: {cluster: c}}
  - {name: exact-cs, match: {path: /Sensitive}, route: {cluster: c}}
  - {name: root, match: {prefix: /}, route: {cluster: c}}
`)
	for _, tc := range []struct{ path, want string }{
		{"/exact", "exact-ci"},
		{"/EXACT", "exact-ci"},
		{"/psp/x", "psp-ci"},
		{"/Psp", "psp-ci"},
		{"/prefix", "prefix-ci"},
		{"/re", "root"}, // case_sensitive is ignored for regex
		{"/Re", "regex"},
		{"/Sensitive", "exact-cs"},
		{"/sensitive", "root"},
	} {
		if got := routeName(t, tb, get("any", tc.path)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.path, got, tc.want)
		}
	}
}

// RouteConfiguration.ignore_path_parameters_in_path_matching: path
// parameters (from ";") are ignored when matching the path.
func TestIgnorePathParameters(t *testing.T) {
	const routes = `
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: exact, match: {path: /a/b}, route: {cluster: c}}
  - {name: root, match: {prefix: /}, route: {cluster: c}}
`
	plain := compileYAML(t, "name: rc"+routes)
	ignoring := compileYAML(t, "name: rc\nignorePathParametersInPathMatching: true"+routes)
	if got := routeName(t, plain, get("h", "/a/b;v=1")); got != "root" {
		t.Errorf("plain: got %q, want root", got)
	}
	if got := routeName(t, ignoring, get("h", "/a/b;v=1?q")); got != "exact" {
		t.Errorf("ignoring: got %q, want exact", got)
	}
}

// path_separated_prefix is validated by its proto rule "^[^?#]+[^?#/]$": no
// trailing "/", no "?" or "#".
func TestPathSeparatedPrefixValidation(t *testing.T) {
	for _, p := range []string{"/foo/", "/foo?x", "/fo#o", "/"} {
		_, err := Compile(parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {pathSeparatedPrefix: "`+p+`"}, route: {cluster: c}}]}]`))
		if err == nil || !strings.Contains(err.Error(), "virtual_hosts[0].routes[0].match.path_separated_prefix: invalid") {
			t.Errorf("%q: got %v, want a path_separated_prefix validation error", p, err)
		}
	}
}

// HeaderMatcher semantics: the string_match kinds (StringMatcher: exact,
// prefix, suffix, contains, safe_regex full match, ignore_case), the
// deprecated direct specifiers, present_match, range_match, invert_match,
// treat_missing_header_as_empty, pseudo-headers and names matched
// case-insensitively.
func TestHeaderMatching(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: exact, match: {prefix: /exact, headers: [{name: X-Version, stringMatch: {exact: v1}}]}, route: {cluster: c}}
  - {name: exact-ci, match: {prefix: /exact-ci, headers: [{name: x-v, stringMatch: {exact: V1, ignoreCase: true}}]},
     route: {cluster: c}}
  - {name: prefix, match: {prefix: /prefix, headers: [{name: x-v, stringMatch: {prefix: ab}}]}, route: {cluster: c}}
  - {name: suffix, match: {prefix: /suffix, headers: [{name: x-v, suffixMatch: yz}]}, route: {cluster: c}}
  - {name: contains, match: {prefix: /contains, headers: [{name: x-v, stringMatch: {contains: mid, ignoreCase: true}}]},
     route: {cluster: c}}
  - {name: regex, match: {prefix: /regex, headers: [{name: x-v, stringMatch: {safeRegex: {regex: "[0-9]{3}"}}}]},
     route: {cluster: c}}
  - {name: present, match: {prefix: /present, headers: [{name: x-v, presentMatch: true}]}, route: {cluster: c}}
  - {name: absent, match: {prefix: /absent, headers: [{name: x-v, presentMatch: false}]}, route: {cluster: c}}
  - {name: nospec, match: {prefix: /nospec, headers: [{name: x-v}]}, route: {cluster: c}}
  - {name: range, match: {prefix: /range, headers: [{name: x-v, rangeMatch: {start: "-10", end: "0"}}]},
     route: {cluster: c}}
  - {name: invert, match: {prefix: /invert, headers: [{name: x-v, stringMatch: {exact: "no"}, invertMatch: true}]},
     route: {cluster: c}}
  - {name: missing-empty, match: {prefix: /missing, headers: [{name: x-v, stringMatch: {safeRegex: {regex: "^$"}},
     treatMissingHeaderAsEmpty: true}]}, route: {cluster: c}}
  - {name: method, match: {prefix: /method, headers: [{name: ":method", stringMatch: {exact: POST}}]}, route: {cluster: c}}
  - {name: authority, match: {prefix: /authority, headers: [{name: ":authority", stringMatch: {exact: a.com}}]},
     route: {cluster: c}}
  - {name: two, match: {prefix: /two, headers: [{name: x-a, stringMatch: {exact: "1"}}, {name: x-b, stringMatch: {exact: "2"}}]},
     route: {cluster: c}}
  - {name: root, match: {prefix: /}, route: {cluster: c}}
`)
	for _, tc := range []struct {
		name string
		req  *Request
		want string
	}{
		{"exact", withHeader(get("h", "/exact"), "x-version", "v1"), "exact"},
		{"exact other value", withHeader(get("h", "/exact"), "x-version", "v2"), "root"},
		{"exact is case-sensitive", withHeader(get("h", "/exact"), "x-version", "V1"), "root"},
		{"exact missing", get("h", "/exact"), "root"},
		{"ignore_case", withHeader(get("h", "/exact-ci"), "x-v", "v1"), "exact-ci"},
		{"prefix", withHeader(get("h", "/prefix"), "x-v", "abc"), "prefix"},
		{"suffix_match", withHeader(get("h", "/suffix"), "x-v", "xyz"), "suffix"},
		{"contains ignore_case", withHeader(get("h", "/contains"), "x-v", "aMIDb"), "contains"},
		{"regex full", withHeader(get("h", "/regex"), "x-v", "123"), "regex"},
		{"regex not full", withHeader(get("h", "/regex"), "x-v", "1234"), "root"},
		{"present", withHeader(get("h", "/present"), "x-v", ""), "present"},
		{"present missing", get("h", "/present"), "root"},
		{"absent", get("h", "/absent"), "absent"},
		{"absent but present", withHeader(get("h", "/absent"), "x-v", "1"), "root"},
		{"no specifier is present", withHeader(get("h", "/nospec"), "x-v", "x"), "nospec"},
		{"range in", withHeader(get("h", "/range"), "x-v", "-1"), "range"},
		{"range end excluded", withHeader(get("h", "/range"), "x-v", "0"), "root"},
		{"range not a number", withHeader(get("h", "/range"), "x-v", "-1x"), "root"},
		{"invert other value", withHeader(get("h", "/invert"), "x-v", "yes"), "invert"},
		{"invert same value", withHeader(get("h", "/invert"), "x-v", "no"), "root"},
		// "The header2 header is not present ... the header matcher rule
		// for header2 will be ignored so it will not match."
		{"invert missing", get("h", "/invert"), "root"},
		{"treat missing as empty", get("h", "/missing"), "missing-empty"},
		{"treat missing, present non-empty", withHeader(get("h", "/missing"), "x-v", "a"), "root"},
		{":method", &Request{Method: "POST", Authority: "h", Path: "/method", Scheme: "http",
			Headers: Headers{"x-forwarded-proto": {"http"}}}, "method"},
		{":method GET", get("h", "/method"), "root"},
		{":authority", get("a.com", "/authority"), "authority"},
		{"all headers must match", withHeader(withHeader(get("h", "/two"), "x-a", "1"), "x-b", "2"), "two"},
		{"one of two", withHeader(get("h", "/two"), "x-a", "1"), "root"},
		{"header names are case-insensitive", &Request{Method: "GET", Authority: "h", Path: "/exact", Scheme: "http",
			Headers: Headers{"X-Forwarded-Proto": {"http"}, "X-VERSION": {"v1"}}}, "exact"},
	} {
		if got := routeName(t, tb, tc.req); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Since Envoy 1.39 a header sent several times is matched value by value
// (changelog: "x-role: user and x-role: admin ... a rule matching admin
// matches, and a rule matching user,admin no longer does"); one header line
// holding "user,admin" is still one value.
func TestRepeatedHeaderMatching(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: admin, match: {prefix: /a, headers: [{name: x-role, stringMatch: {exact: admin}}]}, route: {cluster: c}}
  - {name: joined, match: {prefix: /j, headers: [{name: x-role, stringMatch: {exact: "user,admin"}}]}, route: {cluster: c}}
  - {name: not-admin, match: {prefix: /n, headers: [{name: x-role, stringMatch: {exact: admin}, invertMatch: true}]},
     route: {cluster: c}}
  - {name: root, match: {prefix: /}, route: {cluster: c}}
`)
	both := func(path string) *Request {
		return withHeader(withHeader(get("h", path), "x-role", "user"), "x-role", "admin")
	}
	for _, tc := range []struct {
		name string
		req  *Request
		want string
	}{
		{"any value matches", both("/a"), "admin"},
		{"values are not joined", both("/j"), "root"},
		{"one line with a comma is one value", withHeader(get("h", "/j"), "x-role", "user,admin"), "joined"},
		{"inverted: no value may match", both("/n"), "root"},
		{"inverted: other single value", withHeader(get("h", "/n"), "x-role", "user"), "not-admin"},
	} {
		if got := routeName(t, tb, tc.req); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// RouteMatch.query_parameters: "In the event query parameters are
// repeated, only the first value for each key will be considered." Values
// are compared as sent (Envoy's parseQueryString does not percent-decode).
func TestQueryParameterMatching(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: exact, match: {prefix: /, queryParameters: [{name: animal, stringMatch: {exact: whale}}]}, route: {cluster: c}}
  - {name: regex, match: {prefix: /, queryParameters: [{name: color, stringMatch: {safeRegex: {regex: "gr(a|e)y"}}}]},
     route: {cluster: c}}
  - {name: present, match: {prefix: /, queryParameters: [{name: flag, presentMatch: true}]}, route: {cluster: c}}
  - {name: absent, match: {prefix: /absent, queryParameters: [{name: flag, presentMatch: false}]}, route: {cluster: c}}
  - {name: both, match: {prefix: /both, queryParameters: [{name: a, stringMatch: {exact: "1"}}, {name: b, stringMatch: {exact: "2"}}]},
     route: {cluster: c}}
  - {name: root, match: {prefix: /}, route: {cluster: c}}
`)
	for _, tc := range []struct{ path, want string }{
		{"/?animal=whale", "exact"},
		{"/?animal=dolphin&animal=whale", "root"}, // first value only
		{"/?animal=whale&animal=dolphin", "exact"},
		{"/?Animal=whale", "root"},   // names are case-sensitive
		{"/?animal=wh%61le", "root"}, // no percent-decoding
		{"/?color=grey", "regex"},
		{"/?color=greyish", "root"},
		{"/?flag", "present"},
		{"/?flag=", "present"},
		{"/?x=1&flag&y", "present"},
		{"/absent?other", "absent"},
		{"/absent?flag", "present"},
		{"/both?b=2&a=1", "both"},
		{"/both?a=1", "root"},
		{"/nothing", "root"},
	} {
		if got := routeName(t, tb, get("h", tc.path)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.path, got, tc.want)
		}
	}
}

// RouteMatch.runtime_fraction with no runtime layer uses default_value:
// the route matches when random % denominator < numerator (Envoy's
// featureEnabled).
func TestRuntimeFraction(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: quarter, match: {prefix: /m, runtimeFraction: {defaultValue: {numerator: 250000, denominator: MILLION},
     runtimeKey: some.key}}, route: {cluster: c}}
  - {name: half, match: {prefix: /h, runtimeFraction: {defaultValue: {numerator: 50}}}, route: {cluster: c}}
  - {name: tenth, match: {prefix: /t, runtimeFraction: {defaultValue: {numerator: 1000, denominator: TEN_THOUSAND}}},
     route: {cluster: c}}
  - {name: root, match: {prefix: /}, route: {cluster: c}}
`)
	for _, tc := range []struct {
		path   string
		random uint64
		want   string
	}{
		{"/m", 0, "quarter"},
		{"/m", 249999, "quarter"},
		{"/m", 250000, "root"},
		{"/m", 1000000 + 10, "quarter"}, // modulo the denominator
		{"/h", 49, "half"},              // HUNDRED is the default denominator
		{"/h", 50, "root"},
		{"/t", 999, "tenth"},
		{"/t", 1000, "root"},
	} {
		d := tb.Route(get("h", tc.path), fixedRand(tc.random))
		if d.RouteName != tc.want {
			t.Errorf("%s with %d: got %q, want %q", tc.path, tc.random, d.RouteName, tc.want)
		}
	}
}

// StringMatcher rejects ignore_case with safe_regex; regexes that RE2 does
// not compile are NACKed with their path.
func TestMatcherCompileErrors(t *testing.T) {
	for _, tc := range []struct{ name, match, want string }{
		{"ignore_case regex", `{prefix: /, headers: [{name: x, stringMatch: {safeRegex: {regex: a}, ignoreCase: true}}]}`,
			"virtual_hosts[0].routes[0].match.headers[0].string_match.ignore_case: invalid"},
		{"bad path regex", `{safeRegex: {regex: "a("}}`,
			"virtual_hosts[0].routes[0].match.safe_regex.regex: invalid: regex \"a(\" does not compile"},
		{"bad header regex", `{prefix: /, headers: [{name: x, safeRegexMatch: {regex: "[z-a]"}}]}`,
			"virtual_hosts[0].routes[0].match.headers[0].safe_regex_match.regex: invalid"},
		{"bad query regex", `{prefix: /, queryParameters: [{name: x, stringMatch: {safeRegex: {regex: "*"}}}]}`,
			"virtual_hosts[0].routes[0].match.query_parameters[0].string_match.safe_regex.regex: invalid"},
		{"no path specifier", `{headers: [{name: x}]}`, "virtual_hosts[0].routes[0].match.path_specifier: invalid: value is required"},
	} {
		_, err := Compile(parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: `+tc.match+`, route: {cluster: c}}]}]`))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}

// A request without :path matches no route but CONNECT ones (not
// implemented), even a regex matching "".
func TestNoPathNoRoute(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{name: r, match: {safeRegex: {regex: ".*"}}, route: {cluster: c}}]}]`)
	if got := routeName(t, tb, get("h", "")); got != "404" {
		t.Errorf("got %q, want 404", got)
	}
}

// Envoy's router finds no route for a request without x-forwarded-proto
// (getRouteFromEntries), which the connection manager always sets.
func TestNoForwardedProtoNoRoute(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]}]`)
	req := get("h", "/")
	req.Headers = Headers{}
	d := tb.Route(req, fixedRand(0))
	if d.Direct == nil || d.Direct.Status != 404 || d.VirtualHost != "d" {
		t.Errorf("got %+v, want a 404 in virtual host d", d)
	}
}
