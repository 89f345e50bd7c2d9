package hcm

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

func TestMutateRequest(t *testing.T) {
	external := peer{remote: netip.MustParseAddr("192.0.2.7"), local: netip.MustParseAddr("10.1.2.3")}
	loopback := peer{remote: netip.MustParseAddr("127.0.0.1"), local: netip.MustParseAddr("10.1.2.3")}
	secure := external
	secure.tls = true
	tests := []struct {
		name      string
		in        router.Headers
		useRemote bool
		peer      peer
		want      router.Headers // compared on these names only
		absent    []string
	}{
		{
			name: "edge request", useRemote: true, peer: external,
			in: router.Headers{"x-forwarded-for": {"1.1.1.1"}, "x-forwarded-proto": {"https"}, "x-envoy-retry-on": {"5xx"},
				"x-envoy-upstream-rq-timeout-ms": {"1"}, "x-envoy-decorator-operation": {"op"}, "x-envoy-internal": {"true"},
				"x-forwarded-client-cert": {"By=x"}, "x-envoy-original-url": {"u"}},
			want: router.Headers{"x-forwarded-for": {"1.1.1.1,192.0.2.7"}, "x-forwarded-proto": {"http"},
				"x-envoy-external-address": {"192.0.2.7"}},
			absent: []string{"x-envoy-retry-on", "x-envoy-upstream-rq-timeout-ms", "x-envoy-decorator-operation",
				"x-envoy-internal", "x-forwarded-client-cert", "x-envoy-original-url"},
		},
		{
			name: "TLS peer", useRemote: true, peer: secure,
			want: router.Headers{"x-forwarded-for": {"192.0.2.7"}, "x-forwarded-proto": {"https"}},
		},
		{
			name: "loopback peer: the proxy's own address is appended", useRemote: true, peer: loopback,
			want: router.Headers{"x-forwarded-for": {"10.1.2.3"}, "x-envoy-external-address": {"127.0.0.1"}},
		},
		{
			name: "hop-by-hop headers", useRemote: true, peer: external,
			in: router.Headers{"connection": {"keep-alive"}, "keep-alive": {"5"}, "proxy-connection": {"x"},
				"transfer-encoding": {"chunked"}, "upgrade": {"h2c"}, "te": {"gzip, trailers"}},
			want:   router.Headers{"te": {"trailers"}},
			absent: []string{"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"},
		},
		{
			name: "TE without trailers", useRemote: true, peer: external,
			in: router.Headers{"te": {"gzip"}}, absent: []string{"te"},
		},
		{
			name: "relative referer", useRemote: true, peer: external,
			in: router.Headers{"referer": {"/from"}}, absent: []string{"referer"},
		},
		{
			name: "two referers", useRemote: true, peer: external,
			in: router.Headers{"referer": {"http://a/", "http://b/"}}, absent: []string{"referer"},
		},
		{
			name: "absolute referer", useRemote: true, peer: external,
			in: router.Headers{"referer": {"https://a.example/x"}}, want: router.Headers{"referer": {"https://a.example/x"}},
		},
		{
			name: "not using the remote address", useRemote: false, peer: external,
			in: router.Headers{"x-forwarded-for": {"1.1.1.1"}, "x-forwarded-proto": {"https"}, "x-request-id": {"keep"},
				"x-envoy-decorator-operation": {"op"}, "x-envoy-retry-on": {"5xx"}},
			want: router.Headers{"x-forwarded-for": {"1.1.1.1"}, "x-forwarded-proto": {"https"}, "x-request-id": {"keep"},
				"x-envoy-decorator-operation": {"op"}},
			absent: []string{"x-envoy-retry-on", "x-envoy-external-address"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.in.Clone()
			mutateRequest(h, tt.useRemote, tt.peer)
			for k, v := range tt.want {
				if !slices.Equal(h[k], v) {
					t.Errorf("%s = %q, want %q", k, h[k], v)
				}
			}
			for _, k := range tt.absent {
				if h.Has(k) {
					t.Errorf("%s = %q, want it removed", k, h[k])
				}
			}
			id := h.Get("x-request-id")
			if tt.useRemote && (len(id) != 36 || id == tt.in.Get("x-request-id")) {
				t.Errorf("x-request-id = %q, want a new UUID on edge requests", id)
			}
		})
	}
}
