package conformance

import (
	"slices"
	"testing"

	"sigs.k8s.io/gateway-api/conformance/tests"
	"sigs.k8s.io/gateway-api/conformance/utils/suite"
	"sigs.k8s.io/gateway-api/pkg/features"
)

// TestSkipListCoversSuite checks that every upstream Gateway test (mesh
// tests aside) is classified exactly once, as sending traffic or as status-only, and that both lists
// name only upstream tests: a new suite version fails here until its tests
// are reviewed.
func TestSkipListCoversSuite(t *testing.T) {
	upstream := map[string]bool{}
	for _, test := range tests.ConformanceTests {
		upstream[test.ShortName] = true
		if slices.Contains(test.Features, features.SupportMesh) {
			continue // mesh tests never run against a GatewayClass
		}
		_, traffic := trafficTests[test.ShortName]
		status := slices.Contains(statusOnlyTests, test.ShortName)
		if traffic == status {
			t.Errorf("test %s must be in exactly one of trafficTests and statusOnlyTests (traffic=%t, status-only=%t)",
				test.ShortName, traffic, status)
		}
	}
	for name := range trafficTests {
		if !upstream[name] {
			t.Errorf("trafficTests names %s, which the suite does not have", name)
		}
	}
	for _, name := range statusOnlyTests {
		if !upstream[name] {
			t.Errorf("statusOnlyTests names %s, which the suite does not have", name)
		}
	}
	for name, reason := range harnessSkips {
		if !upstream[name] || reason == "" {
			t.Errorf("harnessSkips names %s (upstream: %t) with reason %q: it must name an upstream test and say why",
				name, upstream[name], reason)
		}
	}
}

func TestSkipReason(t *testing.T) {
	supported := suite.FeaturesSet{}
	supported.Insert(features.SupportGateway, features.SupportHTTPRoute)
	cases := []struct {
		test suite.ConformanceTest
		want string
	}{
		{suite.ConformanceTest{ShortName: "GatewayModifyListeners", Features: []features.FeatureName{features.SupportGateway}}, ""},
		{suite.ConformanceTest{ShortName: "HTTPRouteSimpleSameNamespace", Features: []features.FeatureName{features.SupportHTTPRoute}}, ""},
		{
			suite.ConformanceTest{ShortName: "GatewayStaticAddresses", Features: []features.FeatureName{features.SupportGateway, features.SupportGatewayStaticAddresses}},
			"feature not claimed: GatewayStaticAddresses",
		},
		{
			suite.ConformanceTest{ShortName: "GRPCRouteWeight", Features: []features.FeatureName{features.SupportGRPCRoute}},
			"feature not claimed: GRPCRoute; sends gRPC requests",
		},
	}
	for _, c := range cases {
		if got := SkipReason(c.test, supported); got != c.want {
			t.Errorf("SkipReason(%s) = %q, want %q", c.test.ShortName, got, c.want)
		}
	}
}
