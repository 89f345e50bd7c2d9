package gatewayapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

func TestPathMatch(t *testing.T) {
	typ := func(t gwapiv1.PathMatchType) *gwapiv1.PathMatchType { return &t }
	tests := []struct {
		name string
		in   *gwapiv1.HTTPPathMatch
		want *ir.StringMatch
	}{
		{"default", nil, &ir.StringMatch{Type: ir.MatchPrefix, Value: "/"}},
		{"type only", &gwapiv1.HTTPPathMatch{Type: typ(gwapiv1.PathMatchExact)}, &ir.StringMatch{Type: ir.MatchExact, Value: "/"}},
		{"value only", &gwapiv1.HTTPPathMatch{Value: new("/a")}, &ir.StringMatch{Type: ir.MatchPrefix, Value: "/a"}},
		{"prefix trailing slash", &gwapiv1.HTTPPathMatch{Type: typ(gwapiv1.PathMatchPathPrefix), Value: new("/a/b/")}, &ir.StringMatch{Type: ir.MatchPrefix, Value: "/a/b"}},
		{"root prefix kept", &gwapiv1.HTTPPathMatch{Type: typ(gwapiv1.PathMatchPathPrefix), Value: new("/")}, &ir.StringMatch{Type: ir.MatchPrefix, Value: "/"}},
		{"exact keeps trailing slash", &gwapiv1.HTTPPathMatch{Type: typ(gwapiv1.PathMatchExact), Value: new("/a/")}, &ir.StringMatch{Type: ir.MatchExact, Value: "/a/"}},
		{"regex", &gwapiv1.HTTPPathMatch{Type: typ(gwapiv1.PathMatchRegularExpression), Value: new("/v[0-9]+")}, &ir.StringMatch{Type: ir.MatchRegularExpression, Value: "/v[0-9]+"}},
		{"bad regex", &gwapiv1.HTTPPathMatch{Type: typ(gwapiv1.PathMatchRegularExpression), Value: new("(")}, nil},
		{"relative exact", &gwapiv1.HTTPPathMatch{Type: typ(gwapiv1.PathMatchExact), Value: new("a")}, nil},
		{"unknown type", &gwapiv1.HTTPPathMatch{Type: typ("Glob"), Value: new("/a")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pathMatch(newFieldPath("p"), tt.in)
			if tt.want == nil {
				if err == nil || err.reason != gwapiv1.RouteReasonUnsupportedValue {
					t.Errorf("want UnsupportedValue, got %v, %v", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHeaderMatches(t *testing.T) {
	re := gwapiv1.HeaderMatchRegularExpression
	got, err := headerMatches(newFieldPath("h"), []gwapiv1.HTTPHeaderMatch{
		{Name: "X-A", Value: "1"},
		{Name: "x-a", Value: "ignored"},
		{Name: "X-B", Value: "v.*", Type: &re},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []*ir.StringMatch{
		{Name: "x-a", Type: ir.MatchExact, Value: "1"},
		{Name: "x-b", Type: ir.MatchRegularExpression, Value: "v.*"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	bad := gwapiv1.HeaderMatchType("Prefix")
	if _, err := headerMatches(newFieldPath("h"), []gwapiv1.HTTPHeaderMatch{{Name: "a", Type: &bad}}); err == nil {
		t.Error("an unknown header match type must be rejected")
	}
}

func TestQueryMatchesAreCaseSensitive(t *testing.T) {
	got, err := queryMatches(newFieldPath("q"), []gwapiv1.HTTPQueryParamMatch{{Name: "q", Value: "1"}, {Name: "Q", Value: "2"}, {Name: "q", Value: "3"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []*ir.StringMatch{{Name: "q", Type: ir.MatchExact, Value: "1"}, {Name: "Q", Type: ir.MatchExact, Value: "2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
