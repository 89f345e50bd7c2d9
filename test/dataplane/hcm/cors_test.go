package hcm

import (
	"net/http"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
)

// withPolicy gives a route the CORS filter's per-route policy.
func withPolicy(t *testing.T, r *routev3.Route, p *corsv3.CorsPolicy) *routev3.Route {
	t.Helper()
	a, err := anypb.New(p)
	if err != nil {
		t.Fatal(err)
	}
	r.TypedPerFilterConfig = map[string]*anypb.Any{strict.CORSName: a}
	return r
}

func TestCORSFilter(t *testing.T) {
	b := newBackend(t, nil)
	policy := &corsv3.CorsPolicy{
		AllowOriginStringMatch: []*matcherv3.StringMatcher{{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "https://a.com"}}},
		AllowMethods:           "*", AllowHeaders: "x-1, x-2", ExposeHeaders: "x-3", MaxAge: "60",
		AllowCredentials: wrapperspb.Bool(true),
	}
	answer := proto.Clone(policy).(*corsv3.CorsPolicy)
	answer.ForwardNotMatchingPreflights = wrapperspb.Bool(false)
	rc := routes(withPolicy(t, prefixTo("/cors", "c", nil), policy), withPolicy(t, prefixTo("/answer", "c", nil), answer),
		prefixTo("/", "c", nil))
	f := newFixture(t, config(func(c *Config) { c.cors = true }), rc, staticCluster(t, "c", b.addr))
	preflight := http.Header{"Origin": {"https://a.com"}, "Access-Control-Request-Method": {"PUT"}}

	r := do(t, f, "OPTIONS", "/cors", preflight)
	want := map[string]string{
		"Access-Control-Allow-Origin": "https://a.com", "Access-Control-Allow-Methods": "PUT",
		"Access-Control-Allow-Headers": "x-1, x-2", "Access-Control-Max-Age": "60",
		"Access-Control-Allow-Credentials": "true", "Access-Control-Expose-Headers": "x-3",
	}
	if r.status != 200 {
		t.Errorf("preflight: status %d, want 200", r.status)
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("preflight: %s = %q, want %q", k, got, v)
		}
	}
	if n := len(b.requests()); n != 0 {
		t.Errorf("the filter answered the preflight, yet the backend got %d requests", n)
	}

	other := http.Header{"Origin": {"https://b.com"}, "Access-Control-Request-Method": {"PUT"}}
	if r := do(t, f, "OPTIONS", "/cors", other); r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "" || len(b.requests()) != 1 {
		t.Errorf("preflight from another origin: %d %v, %d backend requests; want it forwarded, no CORS headers", r.status, r.header, len(b.requests()))
	}
	if r := do(t, f, "OPTIONS", "/answer", other); r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "" ||
		r.header.Get("Access-Control-Max-Age") != "60" || len(b.requests()) != 1 {
		t.Errorf("preflight from another origin, not forwarded: %d %v, %d backend requests; want the filter's answer without allow-origin",
			r.status, r.header, len(b.requests()))
	}
	r = do(t, f, "GET", "/cors", http.Header{"Origin": {"https://a.com"}})
	if r.header.Get("Access-Control-Allow-Origin") != "https://a.com" || r.header.Get("Access-Control-Expose-Headers") != "x-3" ||
		r.header.Get("Access-Control-Allow-Credentials") != "true" || r.header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("simple request: %v", r.header)
	}
	if r := do(t, f, "GET", "/other", http.Header{"Origin": {"https://a.com"}}); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("route without a policy: %v", r.header)
	}
	noFilter := newFixture(t, config(nil), rc, staticCluster(t, "c", b.addr))
	if r := do(t, noFilter, "OPTIONS", "/cors", preflight); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("without the CORS filter the policy must do nothing: %v", r.header)
	}
}

func TestCompileCORSFilter(t *testing.T) {
	filter := func(name string, m proto.Message) *hcmv3.HttpFilter {
		a, err := anypb.New(m)
		if err != nil {
			t.Fatal(err)
		}
		return &hcmv3.HttpFilter{Name: name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: a}}
	}
	cors := filter(strict.CORSName, &corsv3.Cors{})
	router := filter(strict.RouterName, &routerv3.Router{})
	c := &Config{}
	if err := c.compileFilters([]*hcmv3.HttpFilter{cors, router}, "f"); err != nil || !c.cors {
		t.Errorf("cors then router: %v, cors=%v", err, c.cors)
	}
	if err := (&Config{}).compileFilters([]*hcmv3.HttpFilter{cors}, "f"); err == nil {
		t.Error("cors last: no error")
	}
	if err := (&Config{}).compileFilters([]*hcmv3.HttpFilter{cors, cors, router}, "f"); err == nil {
		t.Error("two cors filters: no error")
	}
}
