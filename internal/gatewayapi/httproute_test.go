package gatewayapi

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

func TestRouteHostnames(t *testing.T) {
	cases := []struct {
		name    string
		in      []gwapiv1.Hostname
		want    []string
		wantErr string
	}{
		{name: "none", in: nil, want: []string{}},
		{name: "repeated once", in: []gwapiv1.Hostname{"a.example.com", "*.example.com", "a.example.com"},
			want: []string{"a.example.com", "*.example.com"}},
		{name: "invalid", in: []gwapiv1.Hostname{"a.example.com", "-bad-.example.com"},
			wantErr: "spec.hostnames[1]: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := routeHostnames(specPath.Child("hostnames"), tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.msg, tc.wantErr) ||
					err.reason != gwapiv1.RouteReasonUnsupportedValue {
					t.Fatalf("routeHostnames error = %v, want UnsupportedValue starting with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("routeHostnames (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetRuleValidity(t *testing.T) {
	errs := routeErrors{errorf(gwapiv1.RouteReasonUnsupportedValue, "rule 1 is bad")}
	cases := []struct {
		name        string
		acceptErr   *routeError
		invalid     []int
		wantAccept  string
		wantPartial string
	}{
		{name: "all valid"},
		{name: "all invalid", invalid: []int{0, 1}, wantAccept: "All rules are invalid: rule 1 is bad"},
		{name: "some invalid", invalid: []int{1}, wantPartial: "Dropped Rule(s) 1 (they answer HTTP 500): rule 1 is bad"},
		{name: "already rejected", acceptErr: errorf(gwapiv1.RouteReasonUnsupportedValue, "bad hostname"),
			invalid: []int{1}, wantAccept: "bad hostname"},
	}
	msg := func(e *routeError) string {
		if e == nil {
			return ""
		}
		return e.msg
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &httpRouteModel{acceptErr: tc.acceptErr}
			m.setRuleValidity(tc.invalid, errs, 2)
			if got := msg(m.acceptErr); got != tc.wantAccept {
				t.Errorf("acceptErr = %q, want %q", got, tc.wantAccept)
			}
			if got := msg(m.partialErr); got != tc.wantPartial {
				t.Errorf("partialErr = %q, want %q", got, tc.wantPartial)
			}
		})
	}
}

func TestWithPort(t *testing.T) {
	in := &ir.Redirect{Scheme: new("https")}
	got := withPort(in, 8443)
	if got.Port == nil || *got.Port != 8443 || got.Scheme == nil || *got.Scheme != "https" {
		t.Errorf("withPort = %+v, want the redirect with port 8443", got)
	}
	if in.Port != nil {
		t.Errorf("withPort modified its input: port %d", *in.Port)
	}
}
