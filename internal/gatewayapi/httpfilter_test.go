package gatewayapi

import (
	"testing"
	"time"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

func TestMirrorPercent(t *testing.T) {
	tests := []struct {
		name  string
		in    gwapiv1.HTTPRequestMirrorFilter
		want  *float64
		valid bool
	}{
		{"all by default", gwapiv1.HTTPRequestMirrorFilter{}, nil, true},
		{"percent", gwapiv1.HTTPRequestMirrorFilter{Percent: new(int32(25))}, new(25.0), true},
		{"fraction with default denominator", gwapiv1.HTTPRequestMirrorFilter{Fraction: &gwapiv1.Fraction{Numerator: 5}}, new(5.0), true},
		{"fraction", gwapiv1.HTTPRequestMirrorFilter{Fraction: &gwapiv1.Fraction{Numerator: 1, Denominator: new(int32(4))}}, new(25.0), true},
		{"percent too big", gwapiv1.HTTPRequestMirrorFilter{Percent: new(int32(101))}, nil, false},
		{"both", gwapiv1.HTTPRequestMirrorFilter{Percent: new(int32(1)), Fraction: &gwapiv1.Fraction{Numerator: 1}}, nil, false},
		{"zero denominator", gwapiv1.HTTPRequestMirrorFilter{Fraction: &gwapiv1.Fraction{Numerator: 0, Denominator: new(int32(0))}}, nil, false},
		{"numerator above denominator", gwapiv1.HTTPRequestMirrorFilter{Fraction: &gwapiv1.Fraction{Numerator: 3, Denominator: new(int32(2))}}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mirrorPercent(newFieldPath("f"), &tt.in)
			if (err == nil) != tt.valid {
				t.Fatalf("err = %v, want valid=%v", err, tt.valid)
			}
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("percent = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRuleTimeouts(t *testing.T) {
	d := func(s string) *gwapiv1.Duration { return new(gwapiv1.Duration(s)) }
	tests := []struct {
		name             string
		in               *gwapiv1.HTTPRouteTimeouts
		request, backend time.Duration
		valid            bool
	}{
		{"backend longer than request", &gwapiv1.HTTPRouteTimeouts{Request: d("10s"), BackendRequest: d("1m")}, 0, 0, false},
		{"compound", &gwapiv1.HTTPRouteTimeouts{Request: d("1h2m"), BackendRequest: d("500ms")}, time.Hour + 2*time.Minute, 500 * time.Millisecond, true},
		{"zero request disables it and allows any backend timeout", &gwapiv1.HTTPRouteTimeouts{Request: d("0s"), BackendRequest: d("10s")}, 0, 10 * time.Second, true},
		{"go syntax is not gateway syntax", &gwapiv1.HTTPRouteTimeouts{Request: d("1.5s")}, 0, 0, false},
		{"negative", &gwapiv1.HTTPRouteTimeouts{Request: d("-1s")}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, backend, err := ruleTimeouts(newFieldPath("t"), tt.in)
			if (err == nil) != tt.valid {
				t.Fatalf("err = %v, want valid=%v", err, tt.valid)
			}
			if !tt.valid {
				return
			}
			if req == nil || time.Duration(*req) != tt.request || backend == nil || time.Duration(*backend) != tt.backend {
				t.Errorf("timeouts = %v, %v; want %v, %v", req, backend, tt.request, tt.backend)
			}
		})
	}
	if req, backend, err := ruleTimeouts(newFieldPath("t"), nil); req != nil || backend != nil || err != nil {
		t.Error("no timeouts must give nothing")
	}
}

func TestRedirectPort(t *testing.T) {
	https := "https"
	tests := []struct {
		name         string
		in           gwapiv1.HTTPRequestRedirectFilter
		want         *uint32
		listenerPort bool
	}{
		{"explicit port wins", gwapiv1.HTTPRequestRedirectFilter{Scheme: &https, Port: new(int32(8443))}, new(uint32(8443)), false},
		{"scheme gives its well-known port", gwapiv1.HTTPRequestRedirectFilter{Scheme: &https}, new(uint32(443)), false},
		{"neither: the listener's port", gwapiv1.HTTPRequestRedirectFilter{}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &ruleFilters{}
			f := &gwapiv1.HTTPRouteFilter{Type: gwapiv1.HTTPRouteFilterRequestRedirect, RequestRedirect: &tt.in}
			buildRedirectFilter(nil, filterInput{path: newFieldPath("f"), f: f}, out)
			if len(out.invalid) > 0 {
				t.Fatalf("unexpected error: %v", out.invalid.join())
			}
			got := out.redirect.Port
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) || out.redirectToListenerPort != tt.listenerPort {
				t.Errorf("port = %v (listener port: %v), want %v (%v)", got, out.redirectToListenerPort, tt.want, tt.listenerPort)
			}
		})
	}
	r := withPort(&ir.Redirect{StatusCode: 302}, 8080)
	if r.Port == nil || *r.Port != 8080 || r.StatusCode != 302 {
		t.Errorf("withPort = %+v", r)
	}
}
