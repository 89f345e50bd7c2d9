package router

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// forwardOf routes req with random and fails unless the decision forwards.
func forwardOf(t *testing.T, tb *Table, req *Request, random uint64) *Forward {
	t.Helper()
	d := tb.Route(req, fixedRand(random))
	if d.Forward == nil {
		t.Fatalf("%s: not forwarded: %+v", req.Path, d.Direct)
	}
	return d.Forward
}

// Path rewrites in the shapes the translator gives HTTPRouteRewritePath,
// applied as RouteAction.prefix_rewrite ("the matched prefix (or path)
// should be swapped with this value ... query string is preserved") and
// regex_rewrite (on the path without query string, which is kept).
// x-envoy-original-path carries the old path (router, unless
// suppress_envoy_headers).
func TestPathRewrites(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: prefix, match: {pathSeparatedPrefix: /prefix/one}, route: {cluster: c, prefixRewrite: /one}}
  - {name: strip, match: {pathSeparatedPrefix: /strip-prefix},
     route: {cluster: c, regexRewrite: {pattern: {regex: ^/strip-prefix/*}, substitution: /}}}
  - {name: full, match: {pathSeparatedPrefix: /full/one}, route: {cluster: c, regexRewrite: {pattern: {regex: ^/.*$},
     substitution: /one}}}
  - {name: groups, match: {pathSeparatedPrefix: /g}, route: {cluster: c, regexRewrite: {pattern: {regex: "^/g/([a-z]+)/([0-9]+)$"},
     substitution: "/\\2/\\1/$x\\\\"}}}
  - {name: missing-group, match: {pathSeparatedPrefix: /mg}, route: {cluster: c, regexRewrite: {pattern: {regex: "^/mg"},
     substitution: "/\\1"}}}
  - {name: exact, match: {path: /exact}, route: {cluster: c, prefixRewrite: /other}}
  - {name: ci, match: {pathSeparatedPrefix: /ci, caseSensitive: false}, route: {cluster: c, prefixRewrite: /lower}}
  - {name: root-prefix, match: {prefix: /}, route: {cluster: c, prefixRewrite: /app/}}
`)
	for _, tc := range []struct{ path, want string }{
		{"/prefix/one/two", "/one/two"},
		{"/prefix/one?a=b", "/one?a=b"},
		{"/strip-prefix/three", "/three"},
		{"/strip-prefix", "/"},
		{"/strip-prefix?x=y", "/?x=y"},
		{"/full/one/two", "/one"},
		{"/full/one/two?k=v", "/one?k=v"},
		{"/g/abc/42", "/42/abc/$x\\"},
		{"/mg/x", "/mg/x"}, // RE2 refuses a rewrite naming a missing group: no change
		{"/exact?q", "/other?q"},
		{"/CI/x", "/lower/x"},
		{"/foo", "/app/foo"},
		{"/", "/app/"},
	} {
		f := forwardOf(t, tb, get("h", tc.path), 0)
		if f.Path != tc.want {
			t.Errorf("%q: upstream path %q, want %q", tc.path, f.Path, tc.want)
		}
		if got := f.Headers.Get("x-envoy-original-path"); got != tc.path {
			t.Errorf("%q: x-envoy-original-path %q", tc.path, got)
		}
	}
	req := get("h", "/prefix/one/x")
	req.SuppressEnvoyHeaders = true
	if f := forwardOf(t, tb, req, 0); f.Headers.Has("x-envoy-original-path") || f.Path != "/one/x" {
		t.Errorf("suppressed: %q %v", f.Path, f.Headers)
	}
}

// A path without rewrite is forwarded untouched, without
// x-envoy-original-path.
func TestNoRewrite(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]}]`)
	f := forwardOf(t, tb, get("h:8080", "/a//b?x"), 0)
	if f.Path != "/a//b?x" || f.Authority != "h:8080" || f.Method != "GET" || f.Scheme != "http" ||
		f.Headers.Has("x-envoy-original-path") || f.Cluster != "c" || f.ClusterNotFoundStatus != 503 {
		t.Errorf("got %+v", f)
	}
}

// host_rewrite_literal (HTTPRouteRewriteHost) replaces :authority; the old
// one is kept in x-envoy-original-host (router, since 1.35), and appended
// to x-forwarded-host only with append_x_forwarded_host.
func TestHostRewrite(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: xfh, match: {prefix: /xfh}, route: {cluster: c, hostRewriteLiteral: new.example, appendXForwardedHost: true}}
  - {name: r, match: {prefix: /}, route: {cluster: c, hostRewriteLiteral: new.example}}
`)
	f := forwardOf(t, tb, get("old.example:80", "/"), 0)
	if f.Authority != "new.example" || f.Headers.Get("x-envoy-original-host") != "old.example:80" ||
		f.Headers.Has("x-forwarded-host") {
		t.Errorf("host rewrite: %q %v", f.Authority, f.Headers)
	}
	f = forwardOf(t, tb, get("old.example", "/xfh"), 0)
	if got := f.Headers.Values("x-forwarded-host"); !reflect.DeepEqual(got, []string{"old.example"}) {
		t.Errorf("x-forwarded-host %q", got)
	}
	f = forwardOf(t, tb, withHeader(get("old.example", "/xfh"), "x-forwarded-host", "client.example"), 0)
	if got := f.Headers.Get("x-forwarded-host"); got != "client.example,old.example" {
		t.Errorf("appended x-forwarded-host %q", got)
	}
	f = forwardOf(t, tb, withHeader(get("old.example", "/xfh"), "x-forwarded-host", "a, old.example"), 0)
	if got := f.Headers.Get("x-forwarded-host"); got != "a, old.example" {
		t.Errorf("x-forwarded-host already ending with the host %q", got)
	}
}

// Weighted clusters: random % (sum of weights) falls in one cluster's
// interval, clusters in order (WeightedClusterSpecifierPlugin).
func TestWeightedClusters(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - name: w
    match: {prefix: /}
    route:
      weightedClusters:
        totalWeight: 1000
        clusters:
        - {name: a, weight: 90, hostRewriteLiteral: a.internal,
           requestHeadersToAdd: [{header: {key: x-cluster, value: a}}], responseHeadersToAdd: [{header: {key: x-from, value: a}}]}
        - {name: zero, weight: 0}
        - {name: b, weight: 10, requestHeadersToRemove: [x-drop]}
`)
	for _, tc := range []struct {
		random uint64
		want   string
	}{{0, "a"}, {89, "a"}, {90, "b"}, {99, "b"}, {100, "a"}, {189, "a"}, {190, "b"}} {
		f := forwardOf(t, tb, withHeader(get("h", "/"), "x-drop", "1"), tc.random)
		if f.Cluster != tc.want {
			t.Errorf("random %d: cluster %q, want %q", tc.random, f.Cluster, tc.want)
		}
		switch tc.want {
		case "a":
			if f.Authority != "a.internal" || f.Headers.Get("x-cluster") != "a" || !f.Headers.Has("x-drop") {
				t.Errorf("cluster a mutations: %q %v", f.Authority, f.Headers)
			}
			resp := Headers{}
			f.MutateResponse(resp)
			if resp.Get("x-from") != "a" {
				t.Errorf("cluster a response mutations: %v", resp)
			}
		case "b":
			if f.Authority != "h" || f.Headers.Has("x-cluster") || f.Headers.Has("x-drop") {
				t.Errorf("cluster b mutations: %q %v", f.Authority, f.Headers)
			}
		}
	}
	// Over many random values the split is exactly the weights.
	counts := map[string]int{}
	for r := range uint64(1000) {
		counts[forwardOf(t, tb, get("h", "/"), r).Cluster]++
	}
	if counts["a"] != 900 || counts["b"] != 100 || counts["zero"] != 0 {
		t.Errorf("split %v", counts)
	}
}

func TestWeightedClusterErrors(t *testing.T) {
	for _, tc := range []struct{ name, clusters, want string }{
		{"zero sum", `[{name: a, weight: 0}, {name: b}]`,
			"weighted_clusters: invalid: sum of weights in the weighted_cluster must be greater than 0"},
		{"overflow", `[{name: a, weight: 4294967295}, {name: b, weight: 1}]`, "exceeds 4294967295"},
		{"no name", `[{weight: 1}]`, "weighted_clusters.clusters[0]: invalid: at least one of name or cluster_header"},
	} {
		_, err := Compile(parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, route: {weightedClusters: {clusters: `+
			tc.clusters+`}}}]}]`))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}

// RouteAction.timeout defaults to 15 s, 0 disables it; durations are
// truncated to milliseconds; a per-try timeout not below the global one is
// dropped; x-envoy-upstream-rq-timeout-ms overrides and is removed;
// x-envoy-expected-rq-timeout-ms goes upstream (FilterUtility::finalTimeout).
func TestTimeouts(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: slow, match: {prefix: /slow}, route: {cluster: c, timeout: 30s, retryPolicy: {numRetries: 0, perTryTimeout: 10s}}}
  - {name: stream, match: {prefix: /stream}, route: {cluster: c, timeout: 0s}}
  - {name: sub-ms, match: {prefix: /sub}, route: {cluster: c, timeout: 0.0009s}}
  - {name: per-try-too-long, match: {prefix: /ptl}, route: {cluster: c, timeout: 1s, retryPolicy: {perTryTimeout: 2s}}}
  - {name: per-try-only, match: {prefix: /pto}, route: {cluster: c, timeout: 0s, retryPolicy: {perTryTimeout: 1.5s}}}
  - {name: default, match: {prefix: /}, route: {cluster: c}}
`)
	for _, tc := range []struct {
		name            string
		req             *Request
		global, perTry  time.Duration
		expectedHeader  string
		remainingHeader bool
	}{
		{"default", get("h", "/"), 15 * time.Second, 0, "15000", false},
		{"route and per try", get("h", "/slow"), 30 * time.Second, 10 * time.Second, "10000", false},
		{"disabled", get("h", "/stream"), 0, 0, "", false},
		{"below a millisecond is none", get("h", "/sub"), 0, 0, "", false},
		{"per try not below global dropped", get("h", "/ptl"), time.Second, 0, "1000", false},
		{"per try without global", get("h", "/pto"), 0, 1500 * time.Millisecond, "1500", false},
		{"header override", withHeader(get("h", "/"), "x-envoy-upstream-rq-timeout-ms", "250"),
			250 * time.Millisecond, 0, "250", false},
		{"bad header ignored", withHeader(get("h", "/"), "x-envoy-upstream-rq-timeout-ms", "soon"),
			15 * time.Second, 0, "15000", false},
		{"per try header", withHeader(get("h", "/"), "x-envoy-upstream-rq-per-try-timeout-ms", "100"),
			15 * time.Second, 100 * time.Millisecond, "100", false},
	} {
		f := forwardOf(t, tb, tc.req, 0)
		if f.Timeout != tc.global || f.PerTryTimeout != tc.perTry {
			t.Errorf("%s: timeouts %v/%v, want %v/%v", tc.name, f.Timeout, f.PerTryTimeout, tc.global, tc.perTry)
		}
		if got := f.Headers.Get("x-envoy-expected-rq-timeout-ms"); got != tc.expectedHeader {
			t.Errorf("%s: x-envoy-expected-rq-timeout-ms %q, want %q", tc.name, got, tc.expectedHeader)
		}
		if f.Headers.Has("x-envoy-upstream-rq-timeout-ms") || f.Headers.Has("x-envoy-upstream-rq-per-try-timeout-ms") {
			t.Errorf("%s: timeout request headers not removed: %v", tc.name, f.Headers)
		}
	}
	req := get("h", "/")
	req.SuppressEnvoyHeaders = true
	if f := forwardOf(t, tb, req, 0); f.Headers.Has("x-envoy-expected-rq-timeout-ms") {
		t.Errorf("suppressed: %v", f.Headers)
	}
}

// RetryPolicy: num_retries defaults to 1; retry_on is parsed as Envoy's
// RetryStateImpl::parseRetryOn/parseRetryGrpcOn (unknown names ignored);
// a route's policy wins over its virtual host's.
func TestRetryPolicy(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  retryPolicy: {retryOn: "5xx", numRetries: 3}
  routes:
  - {name: own, match: {prefix: /own}, route: {cluster: c, retryPolicy: {retryOn: " 5xx, gateway-error,,unavailable,bogus "}}}
  - {name: inherited, match: {prefix: /}, route: {cluster: c}}
- name: e
  domains: [none.example]
  routes: [{name: none, match: {prefix: /}, route: {cluster: c}}]
`)
	own := forwardOf(t, tb, get("h", "/own"), 0).Retry
	want := &RetryPolicy{RetryOn: []string{"5xx", "gateway-error", "unavailable"}, Ignored: []string{"bogus"}, NumRetries: 1,
		BaseInterval: 25 * time.Millisecond, MaxInterval: 250 * time.Millisecond}
	if !reflect.DeepEqual(own, want) {
		t.Errorf("own: %+v, want %+v", own, want)
	}
	inherited := forwardOf(t, tb, get("h", "/x"), 0).Retry
	if !reflect.DeepEqual(inherited, &RetryPolicy{RetryOn: []string{"5xx"}, NumRetries: 3,
		BaseInterval: 25 * time.Millisecond, MaxInterval: 250 * time.Millisecond}) {
		t.Errorf("inherited: %+v", inherited)
	}
	if r := forwardOf(t, tb, get("none.example", "/"), 0).Retry; r != nil {
		t.Errorf("none: %+v", r)
	}
}

// RetryPolicy.retriable_status_codes are kept; retry_back_off's
// base_interval is required and positive (proto validation; under 1 ms
// counts as 1 ms) and max_interval defaults to ten base intervals and may
// not be below it (RetryPolicyImpl).
func TestRetryBackOff(t *testing.T) {
	route := func(policy string) string {
		return `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: c, retryPolicy: ` +
			policy + `}}]}]`
	}
	ok := []struct {
		name, policy string
		want         *RetryPolicy
	}{
		{"base only", `{retryOn: retriable-status-codes, retriableStatusCodes: [500, 503], retryBackOff: {baseInterval: 0.1s}}`,
			&RetryPolicy{RetryOn: []string{"retriable-status-codes"}, NumRetries: 1, RetriableStatusCodes: []uint32{500, 503},
				BaseInterval: 100 * time.Millisecond, MaxInterval: time.Second}},
		{"base and max", `{retryOn: reset, retryBackOff: {baseInterval: 0.01s, maxInterval: 0.05s}}`,
			&RetryPolicy{RetryOn: []string{"reset"}, NumRetries: 1, BaseInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond}},
		{"sub-millisecond base", `{retryOn: reset, retryBackOff: {baseInterval: 0.0001s}}`,
			&RetryPolicy{RetryOn: []string{"reset"}, NumRetries: 1, BaseInterval: time.Millisecond, MaxInterval: 10 * time.Millisecond}},
	}
	for _, tc := range ok {
		got := forwardOf(t, compileYAML(t, route(tc.policy)), get("h", "/"), 0).Retry
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	bad := []struct{ name, policy, want string }{
		{"no base", `{retryOn: reset, retryBackOff: {maxInterval: 1s}}`,
			"retry_policy.retry_back_off.base_interval: invalid: value is required"},
		{"max below base", `{retryOn: reset, retryBackOff: {baseInterval: 2s, maxInterval: 1s}}`,
			"retry_policy.retry_back_off: invalid: max_interval must be greater than or equal to the base_interval"},
		{"zero max", `{retryOn: reset, retryBackOff: {baseInterval: 1s, maxInterval: 0s}}`,
			"retry_policy.retry_back_off.max_interval: invalid: value must be greater than 0s"},
	}
	for _, tc := range bad {
		if _, err := Compile(parseRC(t, route(tc.policy))); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}

// Request mirrors (HTTPRouteRequestMirror, RequestMultipleMirrors,
// RequestPercentageMirror): every policy without runtime_fraction mirrors
// all requests; a fraction uses the request's random value; the mirror's
// authority gets "-shadow" before the port unless
// disable_shadow_host_suffix_append (ShadowWriterImpl); policies are
// inherited from the virtual host, then the configuration, when a route
// has none.
func TestMirrors(t *testing.T) {
	tb := compileYAML(t, `
name: rc
requestMirrorPolicies: [{cluster: rc-mirror}]
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - name: m
    match: {prefix: /m}
    route:
      cluster: c
      hostRewriteLiteral: rewritten:8080
      requestMirrorPolicies:
      - {cluster: all}
      - {cluster: quarter, runtimeFraction: {defaultValue: {numerator: 125000, denominator: MILLION}}}
      - {cluster: same-host, disableShadowHostSuffixAppend: true}
  - {name: plain, match: {prefix: /}, route: {cluster: c}}
- name: v
  domains: [v.example]
  requestMirrorPolicies: [{cluster: vhost-mirror}]
  routes: [{name: v, match: {prefix: /}, route: {cluster: c}}]
`)
	f := forwardOf(t, tb, get("h", "/m"), 0)
	want := []Mirror{{"all", "rewritten-shadow:8080"}, {"quarter", "rewritten-shadow:8080"}, {"same-host", "rewritten:8080"}}
	if !reflect.DeepEqual(f.Mirrors, want) {
		t.Errorf("mirrors %+v, want %+v", f.Mirrors, want)
	}
	if f = forwardOf(t, tb, get("h", "/m"), 125000); len(f.Mirrors) != 2 {
		t.Errorf("fraction not drawn: %+v", f.Mirrors)
	}
	if f = forwardOf(t, tb, get("h", "/"), 0); !reflect.DeepEqual(f.Mirrors, []Mirror{{"rc-mirror", "h-shadow"}}) {
		t.Errorf("configuration level: %+v", f.Mirrors)
	}
	if f = forwardOf(t, tb, get("v.example", "/"), 0); !reflect.DeepEqual(f.Mirrors, []Mirror{{"vhost-mirror", "v.example-shadow"}}) {
		t.Errorf("virtual host level: %+v", f.Mirrors)
	}
	connect := get("h", "/m")
	connect.Method = "CONNECT"
	if f = forwardOf(t, tb, connect, 0); len(f.Mirrors) != 0 {
		t.Errorf("CONNECT is never mirrored: %+v", f.Mirrors)
	}
	if got := shadowHost("[::1]:80"); got != "[::1]-shadow:80" {
		t.Errorf("ipv6 shadow host %q", got)
	}
}

// RouteAction.cluster_not_found_response_code picks the status of a
// request to a cluster the proxy does not have.
func TestClusterNotFoundStatus(t *testing.T) {
	tb := compileYAML(t, `
name: rc
virtualHosts:
- name: d
  domains: ["*"]
  routes:
  - {name: nf, match: {prefix: /nf}, route: {cluster: c, clusterNotFoundResponseCode: NOT_FOUND}}
  - {name: ise, match: {prefix: /ise}, route: {cluster: c, clusterNotFoundResponseCode: INTERNAL_SERVER_ERROR}}
`)
	if s := forwardOf(t, tb, get("h", "/nf"), 0).ClusterNotFoundStatus; s != 404 {
		t.Errorf("NOT_FOUND: %d", s)
	}
	if s := forwardOf(t, tb, get("h", "/ise"), 0).ClusterNotFoundStatus; s != 500 {
		t.Errorf("INTERNAL_SERVER_ERROR: %d", s)
	}
}

func TestRouteActionErrors(t *testing.T) {
	for _, tc := range []struct{ name, action, want string }{
		{"two rewrites", `{cluster: c, prefixRewrite: /a, regexRewrite: {pattern: {regex: a}, substitution: b}}`,
			"route: invalid: specify only one of prefix_rewrite, regex_rewrite"},
		{"negative timeout", `{cluster: c, timeout: -1s}`, "route.timeout"},
		{"mirror without cluster", `{cluster: c, requestMirrorPolicies: [{runtimeFraction: {defaultValue: {numerator: 1}}}]}`,
			"route.request_mirror_policies[0]: invalid: exactly one of cluster or cluster_header"},
		{"no cluster", `{prefixRewrite: /a}`, "route.cluster_specifier: invalid: value is required"},
		{"empty cluster", `{cluster: ""}`, "route.cluster"},
	} {
		_, err := Compile(parseRC(t, `
name: rc
virtualHosts: [{name: d, domains: ["*"], routes: [{match: {prefix: /}, route: `+tc.action+`}]}]`))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}
