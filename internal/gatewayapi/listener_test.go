package gatewayapi

import (
	"testing"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestValidateListener(t *testing.T) {
	terminate, passthrough := gwapiv1.TLSModeTerminate, gwapiv1.TLSModePassthrough
	host := func(h string) *gwapiv1.Hostname { return new(gwapiv1.Hostname(h)) }
	tests := []struct {
		name   string
		spec   gwapiv1.Listener
		reason gwapiv1.ListenerConditionReason // "" when valid
	}{
		{"http", gwapiv1.Listener{Port: 80, Protocol: gwapiv1.HTTPProtocolType}, ""},
		{"http with hostname", gwapiv1.Listener{Port: 80, Protocol: gwapiv1.HTTPProtocolType, Hostname: host("*.example.com")}, ""},
		{"http with tls", gwapiv1.Listener{Port: 80, Protocol: gwapiv1.HTTPProtocolType, TLS: &gwapiv1.ListenerTLSConfig{}}, gwapiv1.ListenerReasonUnsupportedValue},
		{"https defaults to terminate", gwapiv1.Listener{Port: 443, Protocol: gwapiv1.HTTPSProtocolType}, ""},
		{"https terminate", gwapiv1.Listener{Port: 443, Protocol: gwapiv1.HTTPSProtocolType, TLS: &gwapiv1.ListenerTLSConfig{Mode: &terminate}}, ""},
		{"https passthrough", gwapiv1.Listener{Port: 443, Protocol: gwapiv1.HTTPSProtocolType, TLS: &gwapiv1.ListenerTLSConfig{Mode: &passthrough}}, gwapiv1.ListenerReasonUnsupportedValue},
		{"tls passthrough", gwapiv1.Listener{Port: 443, Protocol: gwapiv1.TLSProtocolType, TLS: &gwapiv1.ListenerTLSConfig{Mode: &passthrough}}, ""},
		{"tls terminate", gwapiv1.Listener{Port: 443, Protocol: gwapiv1.TLSProtocolType, TLS: &gwapiv1.ListenerTLSConfig{Mode: &terminate}}, ""},
		{"tls without mode (terminate)", gwapiv1.Listener{Port: 443, Protocol: gwapiv1.TLSProtocolType}, ""},
		{"tcp", gwapiv1.Listener{Port: 9000, Protocol: gwapiv1.TCPProtocolType}, ""},
		{"tcp with tls", gwapiv1.Listener{Port: 9000, Protocol: gwapiv1.TCPProtocolType, TLS: &gwapiv1.ListenerTLSConfig{}}, gwapiv1.ListenerReasonUnsupportedValue},
		{"sctp", gwapiv1.Listener{Port: 9000, Protocol: "SCTP"}, gwapiv1.ListenerReasonUnsupportedProtocol},
		{"custom protocol", gwapiv1.Listener{Port: 9000, Protocol: "example.com/proto"}, gwapiv1.ListenerReasonUnsupportedProtocol},
		{"port 0", gwapiv1.Listener{Port: 0, Protocol: gwapiv1.HTTPProtocolType}, gwapiv1.ListenerReasonPortUnavailable},
		{"port too big", gwapiv1.Listener{Port: 65536, Protocol: gwapiv1.HTTPProtocolType}, gwapiv1.ListenerReasonPortUnavailable},
		{"ip hostname", gwapiv1.Listener{Port: 80, Protocol: gwapiv1.HTTPProtocolType, Hostname: host("192.0.2.1")}, gwapiv1.ListenerReasonUnsupportedValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateListener(&tt.spec)
			switch {
			case tt.reason == "" && err != nil:
				t.Errorf("want valid, got %s: %s", err.reason, err.msg)
			case tt.reason != "" && (err == nil || err.reason != tt.reason):
				t.Errorf("want %s, got %v", tt.reason, err)
			}
		})
	}
}

func TestResolveKinds(t *testing.T) {
	tlsKind := gwapiv1.RouteGroupKind{Kind: kindTLSRoute}
	httpKind := gwapiv1.RouteGroupKind{Kind: kindHTTPRoute}
	grpcKind := gwapiv1.RouteGroupKind{Kind: kindGRPCRoute}
	otherGroup := gwapiv1.RouteGroupKind{Group: new(gwapiv1.Group("example.com")), Kind: kindHTTPRoute}
	tests := []struct {
		name        string
		protocol    gwapiv1.ProtocolType
		kinds       []gwapiv1.RouteGroupKind
		http, grpc  bool
		tls         bool
		invalidRefs int
	}{
		{"http default", gwapiv1.HTTPProtocolType, nil, true, true, false, 0},
		{"https default", gwapiv1.HTTPSProtocolType, nil, true, true, false, 0},
		{"tls default", gwapiv1.TLSProtocolType, nil, false, false, true, 0},
		{"http allows http", gwapiv1.HTTPProtocolType, []gwapiv1.RouteGroupKind{httpKind, httpKind}, true, false, false, 0},
		{"http allows grpc", gwapiv1.HTTPProtocolType, []gwapiv1.RouteGroupKind{grpcKind}, false, true, false, 0},
		{"http rejects tls", gwapiv1.HTTPProtocolType, []gwapiv1.RouteGroupKind{tlsKind}, false, false, false, 1},
		{"tls rejects http", gwapiv1.TLSProtocolType, []gwapiv1.RouteGroupKind{httpKind, tlsKind}, false, false, true, 1},
		{"tls rejects grpc", gwapiv1.TLSProtocolType, []gwapiv1.RouteGroupKind{grpcKind}, false, false, false, 1},
		{"other group", gwapiv1.HTTPProtocolType, []gwapiv1.RouteGroupKind{otherGroup}, false, false, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &listenerModel{supportedKinds: []gwapiv1.RouteGroupKind{}}
			l.resolveKinds(&gwapiv1.Listener{Protocol: tt.protocol, AllowedRoutes: &gwapiv1.AllowedRoutes{Kinds: tt.kinds}})
			if l.allowHTTPRoute != tt.http || l.allowGRPCRoute != tt.grpc || l.allowTLSRoute != tt.tls || len(l.refErrs) != tt.invalidRefs {
				t.Errorf("http=%v grpc=%v tls=%v invalid=%d, want %v %v %v %d",
					l.allowHTTPRoute, l.allowGRPCRoute, l.allowTLSRoute, len(l.refErrs), tt.http, tt.grpc, tt.tls, tt.invalidRefs)
			}
			want := 0
			if tt.http {
				want++
			}
			if tt.grpc {
				want++
			}
			if tt.tls {
				want++
			}
			if len(l.supportedKinds) != want {
				t.Errorf("supportedKinds = %v, want %d entries", l.supportedKinds, want)
			}
		})
	}
}
