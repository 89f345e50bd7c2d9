package translator

import "fmt"

// invalidBackendCluster is the endpoint-less static cluster that TLS
// passthrough traffic to unresolvable backends is sent to; tcp_proxy closes
// such connections.
const invalidBackendCluster = "invalid-backend"

// ListenerName is the name of the Envoy listener bound to address:port.
func ListenerName(address string, port uint32) string {
	return fmt.Sprintf("listener/%s/%d", address, port)
}

// HTTPRouteConfigName is the name of the RouteConfiguration of the plain HTTP
// filter chain on address:port.
func HTTPRouteConfigName(address string, port uint32) string {
	return fmt.Sprintf("route/%s/%d", address, port)
}

// HTTPSRouteConfigName is the name of the RouteConfiguration of the HTTPS
// filter chain on address:port whose first IR listener is listener.
func HTTPSRouteConfigName(address string, port uint32, listener string) string {
	return fmt.Sprintf("route/%s/%d/%s", address, port, listener)
}

// invalidBackendRouteName is the name of the route answering the invalid
// share of a destination with HTTP 500.
func invalidBackendRouteName(route string) string {
	return route + "/invalid-backend"
}

func httpStatPrefix(port uint32) string         { return fmt.Sprintf("http-%d", port) }
func httpsStatPrefix(port uint32) string        { return fmt.Sprintf("https-%d", port) }
func tlsStatPrefix(port uint32) string          { return fmt.Sprintf("tls-passthrough-%d", port) }
func tlsTerminateStatPrefix(port uint32) string { return fmt.Sprintf("tls-terminate-%d", port) }
func tcpStatPrefix(port uint32) string          { return fmt.Sprintf("tcp-%d", port) }
