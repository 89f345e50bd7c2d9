package ratelimit

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func parseLocal(t *testing.T, y string) *localratelimitv3.LocalRateLimit {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	c := &localratelimitv3.LocalRateLimit{}
	if err := protojson.Unmarshal(j, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// perRoute is the shape the xDS translator emits: an unlimited default
// bucket not consumed by matched requests, a rule per descriptor, one of
// them a wildcard per user.
const perRoute = `
statPrefix: local_ratelimit
tokenBucket: {maxTokens: 4294967295, tokensPerFill: 4294967295, fillInterval: 1s}
filterEnabled: {defaultValue: {numerator: 100}}
filterEnforced: {defaultValue: {numerator: 100}}
alwaysConsumeDefaultTokenBucket: false
maxDynamicDescriptors: 2
rateLimits:
- actions: [{genericKey: {descriptorKey: rule, descriptorValue: all}}]
- actions: [{genericKey: {descriptorKey: rule, descriptorValue: user}}, {requestHeaders: {headerName: x-user, descriptorKey: header-0}}]
descriptors:
- entries: [{key: rule, value: all}]
  tokenBucket: {maxTokens: 5, tokensPerFill: 5, fillInterval: 60s}
- entries: [{key: rule, value: user}, {key: header-0}]
  tokenBucket: {maxTokens: 2, tokensPerFill: 2, fillInterval: 60s}
`

func request(user string) *router.Request {
	h := router.Headers{"x-forwarded-proto": {"http"}}
	if user != "" {
		h["x-user"] = []string{user}
	}
	return &router.Request{Method: "GET", Authority: "a", Path: "/", Scheme: "http", Headers: h,
		RemoteAddress: netip.MustParseAddr("10.0.0.1")}
}

// check runs requests and returns "ok"/"429" per request.
func check(l *Local, users ...string) string {
	var out []string
	for _, u := range users {
		if status, limited := l.Check(request(u), nil); limited {
			out = append(out, itoa(status))
		} else {
			out = append(out, "ok")
		}
	}
	return strings.Join(out, " ")
}

func itoa(n int) string {
	if n == 429 {
		return "429"
	}
	return "?"
}

// Per-value buckets of a wildcard descriptor, the slower bucket consumed
// first, the first empty one limiting; the buckets refill continuously.
func TestLocalTokenBuckets(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	l, err := CompileLocal(parseLocal(t, perRoute), true, clock, "cfg")
	if err != nil {
		t.Fatal(err)
	}
	// alice: 2 per minute, bob as well; all requests share 5 per minute.
	if got := check(l, "alice", "alice", "alice", "bob", "bob", "bob"); got != "ok ok 429 ok ok 429" {
		t.Fatalf("got %s", got)
	}
	// The slower per-user bucket is consumed first: the third requests
	// stopped there and left the shared one alone (5 - 4 = 1 token left).
	// carol takes the last shared token; a request without user only
	// matches the shared bucket, now empty.
	if got := check(l, "carol", ""); got != "ok 429" {
		t.Fatalf("after the shared limit: got %s", got)
	}
	// 12 s later one token of the shared bucket is back (5 per 60 s):
	// carol's second request gets it, her third finds her bucket empty.
	clock.advance(12 * time.Second)
	if got := check(l, "carol", "carol"); got != "ok 429" {
		t.Fatalf("after 12s: got %s", got)
	}
}

// At most max_dynamic_descriptors values keep a bucket; the least recently
// used one is dropped (and starts full again).
func TestLocalDynamicDescriptorsLRU(t *testing.T) {
	cfg := parseLocal(t, perRoute)
	cfg.Descriptors = cfg.Descriptors[1:] // only the per-user limit
	l, err := CompileLocal(cfg, true, &fakeClock{now: time.Unix(1000, 0)}, "cfg")
	if err != nil {
		t.Fatal(err)
	}
	if got := check(l, "a", "a", "a", "b", "c", "a"); got != "ok ok 429 ok ok ok" {
		t.Fatalf("got %s: a's bucket should have been dropped for c", got)
	}
}

// Without filter_enabled the filter limits nothing; without
// filter_enforced it counts but lets requests through.
func TestLocalEnabledEnforced(t *testing.T) {
	for _, tc := range []struct {
		name, drop string
	}{
		{"not enabled", "filterEnabled"},
		{"not enforced", "filterEnforced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var kept []string
			for line := range strings.SplitSeq(perRoute, "\n") {
				if !strings.HasPrefix(line, tc.drop+":") {
					kept = append(kept, line)
				}
			}
			l, err := CompileLocal(parseLocal(t, strings.Join(kept, "\n")), true, &fakeClock{}, "cfg")
			if err != nil {
				t.Fatal(err)
			}
			if got := check(l, "a", "a", "a"); got != "ok ok ok" {
				t.Fatalf("got %s", got)
			}
		})
	}
}

// With always_consume_default_token_bucket (the default) a matched
// request consumes the default bucket too; unmatched requests consume it.
func TestLocalDefaultBucket(t *testing.T) {
	l, err := CompileLocal(parseLocal(t, `
statPrefix: s
tokenBucket: {maxTokens: 3, tokensPerFill: 1, fillInterval: 1s}
filterEnabled: {defaultValue: {numerator: 100}}
filterEnforced: {defaultValue: {numerator: 100}}
rateLimits: [{actions: [{requestHeaders: {headerName: x-user, descriptorKey: u}}]}]
descriptors: [{entries: [{key: u, value: alice}], tokenBucket: {maxTokens: 10, tokensPerFill: 10, fillInterval: 1s}}]
`), true, &fakeClock{now: time.Unix(1, 0)}, "cfg")
	if err != nil {
		t.Fatal(err)
	}
	if got := check(l, "alice", "", "bob", "alice"); got != "ok ok ok 429" {
		t.Fatalf("got %s", got)
	}
}

// What Envoy rejects when it creates the configuration.
func TestCompileLocalRejects(t *testing.T) {
	cases := []struct {
		name, yaml string
		perRoute   bool
		want       string
	}{
		{"per route without bucket", "statPrefix: s", true, "cfg.token_bucket: invalid: local rate limit token bucket must be set"},
		{"fill interval too short", "statPrefix: s\ntokenBucket: {maxTokens: 1, fillInterval: 0.010s}", false,
			"cfg.token_bucket.fill_interval: invalid: local rate limit token bucket fill timer must be >= 50ms"},
		{"descriptor interval not a multiple", `statPrefix: s
tokenBucket: {maxTokens: 1, fillInterval: 2s}
descriptors: [{entries: [{key: k, value: v}], tokenBucket: {maxTokens: 1, fillInterval: 3s}}]`, false,
			"cfg.descriptors[0].token_bucket.fill_interval: invalid: local rate descriptor limit is not a multiple"},
		{"duplicate descriptor", `statPrefix: s
tokenBucket: {maxTokens: 1, fillInterval: 1s}
descriptors:
- {entries: [{key: k}], tokenBucket: {maxTokens: 1, fillInterval: 1s}}
- {entries: [{key: k}], tokenBucket: {maxTokens: 2, fillInterval: 1s}}`, false,
			"cfg.descriptors[1]: invalid: duplicate descriptor"},
		{"no stat prefix", "tokenBucket: {maxTokens: 1, fillInterval: 1s}", false, "cfg: invalid:"},
		{"no fill interval", "statPrefix: s\ntokenBucket: {maxTokens: 1}", false, "cfg: invalid:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileLocal(parseLocal(t, tc.yaml), tc.perRoute, nil, "cfg")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
