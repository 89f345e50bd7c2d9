package router

import (
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// corsTable is a one-route table whose route carries configs as its
// typed_per_filter_config.
func corsTable(t *testing.T, configs map[string]proto.Message) (*Table, error) {
	t.Helper()
	r := &routev3.Route{
		Name:   "r",
		Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 200}},
	}
	for k, m := range configs {
		a, err := anypb.New(m)
		if err != nil {
			t.Fatal(err)
		}
		if r.TypedPerFilterConfig == nil {
			r.TypedPerFilterConfig = map[string]*anypb.Any{}
		}
		r.TypedPerFilterConfig[k] = a
	}
	return Compile(&routev3.RouteConfiguration{VirtualHosts: []*routev3.VirtualHost{{Name: "v", Domains: []string{"*"}, Routes: []*routev3.Route{r}}}})
}

func TestCORSPolicy(t *testing.T) {
	exact := func(s string) *matcherv3.StringMatcher {
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s}}
	}
	regex := func(s string) *matcherv3.StringMatcher {
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: s}}}
	}
	table, err := corsTable(t, map[string]proto.Message{CORSFilterName: &corsv3.CorsPolicy{
		AllowOriginStringMatch: []*matcherv3.StringMatcher{exact("https://a.com"), regex(`https://.*\.b\.com`)},
		AllowMethods:           "GET, PUT", AllowHeaders: "*", ExposeHeaders: "x-e", MaxAge: "60",
		AllowCredentials: wrapperspb.Bool(true),
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := table.Route(&Request{Method: "GET", Authority: "h", Path: "/", Headers: Headers{"x-forwarded-proto": {"http"}}}, fixedRand(0))
	p := d.CORS
	if p == nil {
		t.Fatal("decision has no CORS policy")
	}
	if p.AllowMethods != "GET, PUT" || p.AllowHeaders != "*" || p.ExposeHeaders != "x-e" || p.MaxAge != "60" || !p.AllowCredentials {
		t.Errorf("policy = %+v", p)
	}
	for origin, want := range map[string]bool{
		"https://a.com": true, "https://x.y.b.com": true, "https://b.com": false, "http://a.com": false,
	} {
		if got := p.OriginAllowed(origin); got != want {
			t.Errorf("OriginAllowed(%q) = %v, want %v", origin, got, want)
		}
	}
	star, err := corsTable(t, map[string]proto.Message{CORSFilterName: &corsv3.CorsPolicy{AllowOriginStringMatch: []*matcherv3.StringMatcher{regex(".*")}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := star.Route(&Request{Method: "GET", Authority: "h", Path: "/", Headers: Headers{"x-forwarded-proto": {"http"}}}, fixedRand(0)); !d.CORS.OriginAllowed("https://any:1") {
		t.Error(`".*" does not allow any origin`)
	}
}

func TestCORSPolicyRejected(t *testing.T) {
	tests := []struct {
		name    string
		configs map[string]proto.Message
		want    string
	}{
		{"unimplemented field", map[string]proto.Message{CORSFilterName: &corsv3.CorsPolicy{
			FilterEnabled: &corev3.RuntimeFractionalPercent{},
		}}, `typed_per_filter_config["envoy.filters.http.cors"].(envoy.extensions.filters.http.cors.v3.CorsPolicy).filter_enabled: not implemented`},
		{"other filter", map[string]proto.Message{"envoy.filters.http.other": &corsv3.CorsPolicy{}}, `typed_per_filter_config["envoy.filters.http.other"]: not implemented`},
		{"other type", map[string]proto.Message{CORSFilterName: &corsv3.Cors{}}, `typed_per_filter_config["envoy.filters.http.cors"]: not implemented`},
		{"invalid regex", map[string]proto.Message{CORSFilterName: &corsv3.CorsPolicy{AllowOriginStringMatch: []*matcherv3.StringMatcher{{
			MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "("}},
		}}}}, "allow_origin_string_match[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := corsTable(t, tt.configs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
