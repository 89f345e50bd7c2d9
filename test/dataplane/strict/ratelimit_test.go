package strict

import (
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"
)

func parseInto(t *testing.T, y string, m proto.Message) {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(j, m); err != nil {
		t.Fatal(err)
	}
}

// The rate limit filters' fields the data plane does not implement are
// rejected with their path, in the filter chain and in a route's
// typed_per_filter_config; the implemented ones pass.
func TestRateLimitFilterFields(t *testing.T) {
	const hcm = `
statPrefix: s
rds: {routeConfigName: r, configSource: {ads: {}, resourceApiVersion: V3}}
httpFilters:
- name: envoy.filters.http.ratelimit
  typedConfig:
    '@type': type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit
    domain: d
    timeout: 0.1s
    failureModeDeny: true
    statPrefix: ratelimit
    rateLimitService: {grpcService: {envoyGrpc: {clusterName: ratelimit}}, transportApiVersion: V3}
    EXTRA
- name: envoy.filters.http.router
  typedConfig: {'@type': type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
`
	const routes = `
name: r
virtualHosts:
- name: v
  domains: ["*"]
  routes:
  - match: {prefix: /}
    route: {cluster: c}
    typedPerFilterConfig:
      KEY:
        '@type': type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
        statPrefix: l
        tokenBucket: {maxTokens: 1, tokensPerFill: 1, fillInterval: 1s}
        EXTRA
`
	cases := []struct {
		name, doc, extra, key string
		msg                   proto.Message
		want                  string
	}{
		{"global filter as emitted", hcm, "", "", &hcmv3.HttpConnectionManager{}, ""},
		{"global filter, x-ratelimit headers", hcm, "enableXRatelimitHeaders: DRAFT_VERSION_03", "", &hcmv3.HttpConnectionManager{},
			"http_filters[0].typed_config.(envoy.extensions.filters.http.ratelimit.v3.RateLimit).enable_x_ratelimit_headers: " +
				"field envoy.extensions.filters.http.ratelimit.v3.RateLimit.enable_x_ratelimit_headers is not implemented"},
		{"local route config as emitted", routes, "", "envoy.filters.http.local_ratelimit", &routev3.RouteConfiguration{}, ""},
		{"local route config, stage", routes, "stage: 1", "envoy.filters.http.local_ratelimit", &routev3.RouteConfiguration{},
			`typed_per_filter_config["envoy.filters.http.local_ratelimit"].(envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit).stage: ` +
				"field envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit.stage is not implemented"},
		{"route config under another filter's name", routes, "", "envoy.filters.http.ratelimit", &routev3.RouteConfiguration{},
			`key "envoy.filters.http.ratelimit" is not implemented by the test data plane`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(strings.Replace(tc.doc, "EXTRA", tc.extra, 1), "KEY", tc.key, 1)
			parseInto(t, doc, tc.msg)
			err := Check(tc.msg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
