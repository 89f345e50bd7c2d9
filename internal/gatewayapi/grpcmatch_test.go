package gatewayapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

func TestBuildGRPCMatch(t *testing.T) {
	exact, regex := gwapiv1.GRPCMethodMatchExact, gwapiv1.GRPCMethodMatchRegularExpression
	method := func(typ gwapiv1.GRPCMethodMatchType, service, method string) *gwapiv1.GRPCMethodMatch {
		m := &gwapiv1.GRPCMethodMatch{Type: &typ}
		if service != "" {
			m.Service = &service
		}
		if method != "" {
			m.Method = &method
		}
		return m
	}
	tests := []struct {
		name            string
		in              gwapiv1.GRPCRouteMatch
		want            *ir.StringMatch
		service, method int32
	}{
		{"no method: every request", gwapiv1.GRPCRouteMatch{}, &ir.StringMatch{Type: ir.MatchPrefix, Value: "/"}, 0, 0},
		{"service and method", gwapiv1.GRPCRouteMatch{Method: method(exact, "a.B", "Do")}, &ir.StringMatch{Type: ir.MatchExact, Value: "/a.B/Do"}, 3, 2},
		{"default type is Exact", gwapiv1.GRPCRouteMatch{Method: &gwapiv1.GRPCMethodMatch{Service: new("a.B"), Method: new("Do")}}, &ir.StringMatch{Type: ir.MatchExact, Value: "/a.B/Do"}, 3, 2},
		{"service only", gwapiv1.GRPCRouteMatch{Method: method(exact, "a.B", "")}, &ir.StringMatch{Type: ir.MatchPrefix, Value: "/a.B"}, 3, 0},
		{"method only", gwapiv1.GRPCRouteMatch{Method: method(exact, "", "Do")}, &ir.StringMatch{Type: ir.MatchRegularExpression, Value: "/[^/]+/Do"}, 0, 2},
		{"regex both", gwapiv1.GRPCRouteMatch{Method: method(regex, "a\\..*", "D.|E")}, &ir.StringMatch{Type: ir.MatchRegularExpression, Value: "/(?:a\\..*)/(?:D.|E)"}, 5, 4},
		{"regex service", gwapiv1.GRPCRouteMatch{Method: method(regex, "a|b", "")}, &ir.StringMatch{Type: ir.MatchRegularExpression, Value: "/(?:a|b)/[^/]+"}, 3, 0},
		{"neither service nor method", gwapiv1.GRPCRouteMatch{Method: method(exact, "", "")}, nil, 0, 0},
		{"invalid service name", gwapiv1.GRPCRouteMatch{Method: method(exact, "a/b", "")}, nil, 0, 0},
		{"invalid method name", gwapiv1.GRPCRouteMatch{Method: method(exact, "a", "Do.It")}, nil, 0, 0},
		{"invalid regex", gwapiv1.GRPCRouteMatch{Method: method(regex, "(", "")}, nil, 0, 0},
		{"unknown type", gwapiv1.GRPCRouteMatch{Method: method("Prefix", "a", "")}, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := buildGRPCMatch(newFieldPath("m"), 0, &tt.in)
			if tt.want == nil {
				if err == nil || err.reason != gwapiv1.RouteReasonUnsupportedValue {
					t.Errorf("want UnsupportedValue, got %v, %v", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if diff := cmp.Diff(tt.want, got.path); diff != "" {
				t.Errorf("path match (-want +got):\n%s", diff)
			}
			if !got.grpc || got.grpcService != tt.service || got.grpcMethod != tt.method {
				t.Errorf("grpc=%v service=%d method=%d, want true %d %d", got.grpc, got.grpcService, got.grpcMethod, tt.service, tt.method)
			}
		})
	}
}

func TestBuildGRPCMatchHeaders(t *testing.T) {
	regex := gwapiv1.GRPCHeaderMatchRegularExpression
	in := gwapiv1.GRPCRouteMatch{Headers: []gwapiv1.GRPCHeaderMatch{
		{Name: "Version", Value: "two"},
		{Name: "color", Type: &regex, Value: "red|blue"},
		{Name: "VERSION", Value: "ignored"},
	}}
	got, err := buildGRPCMatch(newFieldPath("m"), 0, &in)
	if err != nil {
		t.Fatal(err)
	}
	want := []*ir.StringMatch{
		{Name: "version", Type: ir.MatchExact, Value: "two"},
		{Name: "color", Type: ir.MatchRegularExpression, Value: "red|blue"},
	}
	if diff := cmp.Diff(want, got.headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
}
