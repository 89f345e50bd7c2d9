package listener

import (
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/envoygw/envoy-gateway/test/dataplane/strict"
)

// tcpProxyChain is a filter chain proxying to cluster.
func tcpProxyChain(t *testing.T, name, cluster string) *listenerv3.FilterChain {
	t.Helper()
	a, err := anypb.New(&tcpproxyv3.TcpProxy{StatPrefix: "s", ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: cluster}})
	if err != nil {
		t.Fatal(err)
	}
	return &listenerv3.FilterChain{Name: name, Filters: []*listenerv3.Filter{{
		Name: strict.TCPProxyName, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: a},
	}}}
}
