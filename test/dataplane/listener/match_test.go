package listener

import (
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func chainNamed(name string, port uint32, names []string, transport string, alpn ...string) *chain {
	return &chain{name: name, match: chainMatch{port: port, serverNames: names, transport: transport, alpn: alpn}}
}

func TestFindChain(t *testing.T) {
	chains := []*chain{
		chainNamed("plain", 0, nil, "raw_buffer"),
		chainNamed("foo", 0, []string{"foo.example.com"}, "tls"),
		chainNamed("wild", 0, []string{"*.example.com"}, "tls"),
		chainNamed("deep-wild", 0, []string{"*.b.example.com"}, "tls"),
		chainNamed("h2-only", 0, []string{"alpn.example.com"}, "tls", "h2"),
		chainNamed("alpn-any", 0, []string{"alpn.example.com"}, "tls"),
		chainNamed("port-8443", 8443, []string{"foo.example.com"}, "tls"),
		chainNamed("tls-catch-all", 0, nil, "tls"),
	}
	tests := []struct {
		name string
		ci   connInfo
		want string // "" for no chain
	}{
		{"plaintext", connInfo{dstPort: 80, transport: "raw_buffer"}, "plain"},
		{"exact SNI", connInfo{dstPort: 80, sni: "foo.example.com", transport: "tls"}, "foo"},
		{"wildcard SNI", connInfo{dstPort: 80, sni: "bar.example.com", transport: "tls"}, "wild"},
		{"longest wildcard first", connInfo{dstPort: 80, sni: "a.b.example.com", transport: "tls"}, "deep-wild"},
		{"wildcard covers several labels", connInfo{dstPort: 80, sni: "x.y.example.com", transport: "tls"}, "wild"},
		{"no SNI match: chains without server names", connInfo{dstPort: 80, sni: "other.org", transport: "tls"}, "tls-catch-all"},
		{"destination port before server names", connInfo{dstPort: 8443, sni: "bar.example.com", transport: "tls"}, ""},
		{"destination port match", connInfo{dstPort: 8443, sni: "foo.example.com", transport: "tls"}, "port-8443"},
		{"ALPN listed", connInfo{dstPort: 80, sni: "alpn.example.com", transport: "tls", alpn: []string{"http/1.1", "h2"}}, "h2-only"},
		{"ALPN not listed", connInfo{dstPort: 80, sni: "alpn.example.com", transport: "tls", alpn: []string{"http/1.1"}}, "alpn-any"},
		{"no backtracking: SNI matched, transport does not", connInfo{dstPort: 80, sni: "foo.example.com", transport: "raw_buffer"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if c := findChain(chains, tt.ci); c != nil {
				got = c.name
			}
			if got != tt.want {
				t.Errorf("chain %q, want %q", got, tt.want)
			}
		})
	}
}

func socketAddr(ip string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

func TestCompileRejects(t *testing.T) {
	tcp := tcpProxyChain(t, "c", "x")
	tests := []struct {
		name    string
		l       *listenerv3.Listener
		wantErr string
	}{
		{"no filter chains", &listenerv3.Listener{Name: "l", Address: socketAddr("0.0.0.0", 80)}, "no filter chains specified"},
		{"hostname address", &listenerv3.Listener{Name: "l", Address: socketAddr("localhost", 80),
			FilterChains: []*listenerv3.FilterChain{tcp}}, "malformed IP address: localhost"},
		{"duplicate chain names", &listenerv3.Listener{Name: "l", Address: socketAddr("0.0.0.0", 80),
			FilterChains: []*listenerv3.FilterChain{withMatch(tcpProxyChain(t, "c", "x"), "a.example.com"),
				withMatch(tcpProxyChain(t, "c", "x"), "b.example.com")}}, `filter_chains[1].name: invalid: duplicate filter chain name "c"`},
		{"same matching rules", &listenerv3.Listener{Name: "l", Address: socketAddr("0.0.0.0", 80),
			FilterChains: []*listenerv3.FilterChain{withMatch(tcpProxyChain(t, "a", "x"), "a.example.com", "b.example.com"),
				withMatch(tcpProxyChain(t, "b", "x"), "b.example.com")}}, "multiple filter chains with the same matching rules"},
		{"partial wildcard", &listenerv3.Listener{Name: "l", Address: socketAddr("0.0.0.0", 80),
			FilterChains: []*listenerv3.FilterChain{withMatch(tcpProxyChain(t, "a", "x"), "a*.example.com")}}, "partial wildcards"},
		{"two network filters", &listenerv3.Listener{Name: "l", Address: socketAddr("0.0.0.0", 80),
			FilterChains: []*listenerv3.FilterChain{{Name: "a", Filters: append(tcpProxyChain(t, "a", "x").Filters,
				tcpProxyChain(t, "a", "x").Filters...)}}}, "filter_chains[0].filters: not implemented by the test data plane: 2 filters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.l, CompileEnv{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Compile error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func withMatch(c *listenerv3.FilterChain, names ...string) *listenerv3.FilterChain {
	c.FilterChainMatch = &listenerv3.FilterChainMatch{ServerNames: names, DestinationPort: wrapperspb.UInt32(443)}
	return c
}
