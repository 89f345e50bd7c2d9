package gatewayapi

import (
	"testing"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestFrontendValidationFor(t *testing.T) {
	def := &gwapiv1.FrontendTLSValidation{Mode: gwapiv1.AllowValidOnly}
	port := &gwapiv1.FrontendTLSValidation{Mode: gwapiv1.AllowInsecureFallback}
	frontend := &gwapiv1.FrontendTLSConfig{
		Default: gwapiv1.TLSConfig{Validation: def},
		PerPort: []gwapiv1.TLSPortConfig{{Port: 9443}, {Port: 8443, TLS: gwapiv1.TLSConfig{Validation: port}}},
	}
	cases := []struct {
		name         string
		tls          *gwapiv1.GatewayTLSConfig
		port         int32
		want         *gwapiv1.FrontendTLSValidation
		wantField    string
		wantInsecure bool
	}{
		{name: "no spec.tls", port: 443},
		{name: "no frontend", tls: &gwapiv1.GatewayTLSConfig{}, port: 443},
		{name: "default", tls: &gwapiv1.GatewayTLSConfig{Frontend: frontend}, port: 443,
			want: def, wantField: "spec.tls.frontend.default.validation", wantInsecure: true},
		{name: "per port", tls: &gwapiv1.GatewayTLSConfig{Frontend: frontend}, port: 8443,
			want: port, wantField: "spec.tls.frontend.perPort[1].tls.validation", wantInsecure: true},
		{name: "per port without validation turns it off", tls: &gwapiv1.GatewayTLSConfig{Frontend: frontend}, port: 9443,
			wantInsecure: true},
		{name: "default only, valid only", tls: &gwapiv1.GatewayTLSConfig{Frontend: &gwapiv1.FrontendTLSConfig{
			Default: gwapiv1.TLSConfig{Validation: def}}}, port: 8443,
			want: def, wantField: "spec.tls.frontend.default.validation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw := &gwapiv1.Gateway{Spec: gwapiv1.GatewaySpec{TLS: c.tls}}
			got := frontendValidationFor(gw, c.port)
			switch {
			case c.want == nil && got != nil:
				t.Errorf("got %+v, want none", got)
			case c.want != nil && (got == nil || got.spec != c.want || got.field != c.wantField):
				t.Errorf("got %+v, want %+v at %s", got, c.want, c.wantField)
			}
			if insecure := insecureFrontendValidation(gw); insecure != c.wantInsecure {
				t.Errorf("insecureFrontendValidation = %v, want %v", insecure, c.wantInsecure)
			}
		})
	}
}
