package gatewayapi

import (
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// processTCPRoutes builds, attaches and records every TCPRoute.
func (t *translator) processTCPRoutes(routes []*gwapiv1.TCPRoute) {
	for _, obj := range routes {
		if obj == nil || t.seenRoute(kindTCPRoute, obj.Namespace, obj.Name) {
			continue
		}
		m := t.buildL4Route(tcpRouteInput(obj))
		t.attachL4Route(m)
		t.tcpRoutes = append(t.tcpRoutes, m)
	}
}

// tcpRouteInput is what the L4 route model reads from a TCPRoute.
func tcpRouteInput(obj *gwapiv1.TCPRoute) l4RouteInput {
	in := l4RouteInput{kind: kindTCPRoute, meta: &obj.ObjectMeta, parentRefs: obj.Spec.ParentRefs}
	for _, r := range obj.Spec.Rules {
		in.rules = append(in.rules, r.BackendRefs)
	}
	return in
}

// buildTCPListener builds the xDS IR of a TCP listener.
func buildTCPListener(l *listenerModel) *ir.TCPListener {
	return &ir.TCPListener{
		Name:    l.irName(),
		Address: listenAddress,
		Port:    ir.ContainerPort(uint32(l.port)),
		Route:   oldestL4Route(l),
	}
}
