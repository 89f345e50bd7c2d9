package router

import (
	"maps"
	"reflect"
	"strings"
	"testing"
)

// HeaderValueOption.append_action and HeaderParser::evaluateHeaders:
// removals first; APPEND_IF_EXISTS_OR_ADD appends; ADD_IF_ABSENT adds only
// when the header is absent; OVERWRITE_IF_EXISTS_OR_ADD replaces;
// OVERWRITE_IF_EXISTS replaces only an existing header; the decisions look
// at the headers after the removals, not at this level's own additions;
// overwrites apply before appends; empty values are skipped unless
// keep_empty_value; the deprecated append false means overwrite.
func TestHeaderParserSemantics(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - name: r
    match: {prefix: /}
    route: {cluster: c}
    requestHeadersToRemove: [x-removed, X-Readd]
    requestHeadersToAdd:
    - {header: {key: x-append, value: new}}
    - {header: {key: x-append, value: newer}, appendAction: APPEND_IF_EXISTS_OR_ADD}
    - {header: {key: x-if-absent, value: added}, appendAction: ADD_IF_ABSENT}
    - {header: {key: x-present, value: not-added}, appendAction: ADD_IF_ABSENT}
    - {header: {key: X-Overwrite, value: set}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD}
    - {header: {key: x-overwrite-new, value: set}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD}
    - {header: {key: x-if-exists, value: replaced}, appendAction: OVERWRITE_IF_EXISTS}
    - {header: {key: x-if-exists-missing, value: never}, appendAction: OVERWRITE_IF_EXISTS}
    - {header: {key: x-readd, value: again}, appendAction: ADD_IF_ABSENT}
    - {header: {key: x-empty, value: ""}}
    - {header: {key: x-kept-empty, value: ""}, keepEmptyValue: true}
    - {header: {key: x-legacy, value: replaced}, append: false}
    - {header: {key: x-legacy-append, value: more}, append: true}
    - {header: {key: x-twice, value: a}, appendAction: ADD_IF_ABSENT}
    - {header: {key: x-twice, value: b}, appendAction: ADD_IF_ABSENT}
    - {header: {key: x-order, value: appended}}
    - {header: {key: x-order, value: overwritten}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD}
    - {header: {key: x-percent, value: "100%%"}}
`)
	req := get("h", "/")
	maps.Copy(req.Headers, Headers{
		"x-removed": {"gone"}, "x-readd": {"old"}, "x-append": {"old"}, "x-present": {"p"},
		"x-overwrite": {"o1", "o2"}, "x-if-exists": {"e"}, "x-legacy": {"l1"}, "x-legacy-append": {"l1"},
	})
	f := forwardOf(t, tb, req, 0)
	want := map[string][]string{
		"x-append":        {"old", "new", "newer"},
		"x-if-absent":     {"added"},
		"x-present":       {"p"},
		"x-overwrite":     {"set"},
		"x-overwrite-new": {"set"},
		"x-if-exists":     {"replaced"},
		"x-readd":         {"again"}, // removed first, so absent
		"x-kept-empty":    {""},
		"x-legacy":        {"replaced"},
		"x-legacy-append": {"l1", "more"},
		"x-twice":         {"a", "b"}, // both decided against the same headers
		"x-order":         {"overwritten", "appended"},
		"x-percent":       {"100%"},
	}
	for k, v := range want {
		if got := f.Headers.Values(k); !reflect.DeepEqual(got, v) {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"x-removed", "x-if-exists-missing", "x-empty"} {
		if f.Headers.Has(k) {
			t.Errorf("%s should be absent: %q", k, f.Headers.Values(k))
		}
	}
}

// The order of the levels (route, virtual host and route configuration
// request_headers_to_add): "Headers specified at this level are applied
// after headers from enclosed ... and before headers from the enclosing",
// so by default the least specific level is evaluated last and wins;
// most_specific_header_mutations_wins reverses that. A weighted cluster's
// mutations come before all of them (WeightedClusterEntry).
func TestHeaderMutationLevels(t *testing.T) {
	const levels = `
requestHeadersToAdd: [{header: {key: x-level, value: config}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD},
  {header: {key: x-trail, value: config}}]
responseHeadersToAdd: [{header: {key: x-level, value: config}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD}]
virtualHosts:
- name: d
  domains: ["*"]
  requestHeadersToAdd: [{header: {key: x-level, value: vhost}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD},
    {header: {key: x-trail, value: vhost}}]
  responseHeadersToAdd: [{header: {key: x-level, value: vhost}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD}]
  routes:
  - name: r
    match: {prefix: /}
    requestHeadersToAdd: [{header: {key: x-level, value: route}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD},
      {header: {key: x-trail, value: route}}]
    responseHeadersToAdd: [{header: {key: x-level, value: route}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD}]
    route:
      weightedClusters:
        clusters:
        - name: a
          weight: 1
          requestHeadersToAdd: [{header: {key: x-level, value: cluster}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD},
            {header: {key: x-trail, value: cluster}}]
          responseHeadersToAdd: [{header: {key: x-level, value: cluster}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD}]
`
	for _, tc := range []struct {
		name, prefix string
		level        string
		trail        []string
	}{
		{"default: least specific wins", "name: rc\n", "config", []string{"cluster", "route", "vhost", "config"}},
		{"most_specific_header_mutations_wins", "name: rc\nmostSpecificHeaderMutationsWins: true\n", "route",
			[]string{"cluster", "config", "vhost", "route"}},
	} {
		tb := compileYAML(t, tc.prefix+levels)
		f := forwardOf(t, tb, get("h", "/"), 0)
		if got := f.Headers.Get("x-level"); got != tc.level {
			t.Errorf("%s: request x-level %q, want %q", tc.name, got, tc.level)
		}
		if got := f.Headers.Values("x-trail"); !reflect.DeepEqual(got, tc.trail) {
			t.Errorf("%s: request x-trail %q, want %q", tc.name, got, tc.trail)
		}
		resp := Headers{"x-level": {"upstream"}}
		f.MutateResponse(resp)
		if got := resp.Values("x-level"); !reflect.DeepEqual(got, []string{tc.level}) {
			t.Errorf("%s: response x-level %q, want %q", tc.name, got, tc.level)
		}
	}
}

// HTTPRouteRequestHeaderModifier and ResponseHeaderModifier through the
// translator's shapes: add appends, set overwrites, remove removes.
func TestGatewayHeaderModifiers(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - name: r
    match: {prefix: /}
    route: {cluster: c}
    requestHeadersToAdd:
    - {header: {key: X-Header-Add, value: add-appends-values}}
    - {header: {key: X-Header-Set, value: set-overwrites-values}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD}
    requestHeadersToRemove: [X-Header-Remove]
    responseHeadersToAdd:
    - {header: {key: X-Header-Add, value: header-val-1}}
    - {header: {key: X-Header-Set, value: set-val}, appendAction: OVERWRITE_IF_EXISTS_OR_ADD}
    responseHeadersToRemove: [X-Header-Remove]
`)
	req := get("h", "/")
	req.Headers["x-header-add"] = []string{"some-other-value"}
	req.Headers["x-header-set"] = []string{"some-other-value"}
	req.Headers["x-header-remove"] = []string{"val"}
	f := forwardOf(t, tb, req, 0)
	if got := f.Headers.Values("x-header-add"); !reflect.DeepEqual(got, []string{"some-other-value", "add-appends-values"}) {
		t.Errorf("add: %q", got)
	}
	if got := f.Headers.Values("x-header-set"); !reflect.DeepEqual(got, []string{"set-overwrites-values"}) {
		t.Errorf("set: %q", got)
	}
	if f.Headers.Has("x-header-remove") {
		t.Errorf("remove: %q", f.Headers.Values("x-header-remove"))
	}
	resp := Headers{"x-header-set": {"upstream"}, "x-header-remove": {"upstream"}, "x-header-add": {"upstream"}}
	f.MutateResponse(resp)
	want := Headers{"x-header-set": {"set-val"}, "x-header-add": {"upstream", "header-val-1"}}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("response headers %v, want %v", resp, want)
	}
}

// HeaderParser::configure rejects pseudo-header and host mutations and
// append together with a non-default append_action; header values are
// substitution format strings, of which only literals are implemented.
func TestHeaderMutationErrors(t *testing.T) {
	for _, tc := range []struct{ name, route, want string }{
		{"pseudo add", `requestHeadersToAdd: [{header: {key: ":path", value: /x}}]`,
			"routes[0].request_headers_to_add[0].header.key: invalid: :-prefixed or host headers may not be modified"},
		{"host add", `responseHeadersToAdd: [{header: {key: Host, value: x}}]`,
			"routes[0].response_headers_to_add[0].header.key: invalid"},
		{"host remove", `requestHeadersToRemove: [x-a, host]`,
			"routes[0].request_headers_to_remove[1]: invalid: :-prefixed or host headers may not be removed"},
		{"append and append_action", `requestHeadersToAdd: [{header: {key: x, value: "v"}, append: true, appendAction: ADD_IF_ABSENT}]`,
			"routes[0].request_headers_to_add[0]: invalid: both append and append_action are set"},
		{"lone percent", `requestHeadersToAdd: [{header: {key: x, value: "100%"}}]`,
			"routes[0].request_headers_to_add[0].header.value: invalid: \"100%\" is not a valid format string"},
		{"command", `responseHeadersToAdd: [{header: {key: x, value: "%REQ(x-a)%"}}]`,
			"routes[0].response_headers_to_add[0].header.value: substitution command %REQ(x-a)% is not implemented"},
		{"empty remove", `requestHeadersToRemove: [""]`, "routes[0].request_headers_to_remove[0]: invalid"},
	} {
		_, err := Compile(parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: c}, `+tc.route+`}]}]`))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestLiteralFormat(t *testing.T) {
	for _, tc := range []struct{ in, out, err string }{
		{"plain", "plain", ""},
		{"", "", ""},
		{"%%", "%", ""},
		{"a%%b%%%%", "a%b%%", ""},
		{"%", "", "invalid"},
		{"50%off", "", "invalid"},
		{"%lower%", "", "invalid"},
		{"x%START_TIME%", "", "not implemented"},
		{"%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", "", "not implemented"},
		{"%REQ(x):10%", "", "not implemented"},
	} {
		got, err := literalFormat(tc.in, "p")
		if tc.err == "" && (err != nil || got != tc.out) {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.out)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: got %v, want error containing %q", tc.in, err, tc.err)
		}
	}
}
