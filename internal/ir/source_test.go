package ir

import "testing"

func TestSource(t *testing.T) {
	tests := []struct{ kind, name, want string }{
		{"route", "httproute/ns/r/rule/0/match/1", "HTTPRoute ns/r"},
		{"route", "tlsroute/ns/t/rule/2", "TLSRoute ns/t"},
		{"route", "grpcroute/ns/g/rule/0/match/0", "GRPCRoute ns/g"},
		{"route", "tcproute/ns/t", "TCPRoute ns/t"},
		{"route", "udproute/ns/u", "UDPRoute ns/u"},
		{"cluster", "service/ns/svc/8080", "Service ns/svc"},
		{"cluster", "service/ns/svc/8080/h2c", "Service ns/svc"},
		{"cluster", "service/ns/svc/8080/other", "service/ns/svc/8080/other"},
		{"listener", "ns/gw/http", "Gateway ns/gw (listener http)"},
		{"listener", "ns/gw/other/set/https", "ListenerSet other/set (listener https)"},
		{"secret", "ns/cert", "Secret ns/cert"},
		{"cluster", "invalid-backend", "invalid-backend"},
	}
	for _, tt := range tests {
		if got := Source(tt.kind, tt.name); got != tt.want {
			t.Errorf("Source(%q, %q) = %q, want %q", tt.kind, tt.name, got, tt.want)
		}
	}
}
