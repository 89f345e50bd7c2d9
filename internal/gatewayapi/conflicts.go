package gatewayapi

import (
	"fmt"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Gateway API listener distinctness: listeners sharing a port must share a
// protocol (else ProtocolConflict), and among those, hostnames must differ
// (else HostnameConflict). Listeners that never configure anything (not
// accepted) take no part.
//
// Within one Gateway no listener wins: every indistinct listener is
// conflicted. Across the Gateways merged into one fleet, the Gateway that
// comes first (oldest, then namespace/name) keeps its listeners and the
// later ones are conflicted.

// setConflict marks a listener conflicted and therefore not accepted.
func (l *listenerModel) setConflict(err *reasonError) {
	l.conflictErr = err
	l.acceptErr = err
}

// resolveGatewayConflicts conflicts every indistinct listener of one Gateway.
func resolveGatewayConflicts(listeners []*listenerModel) {
	byPort := make(map[int32][]*listenerModel)
	var ports []int32
	for _, l := range listeners {
		if l.acceptErr != nil {
			continue
		}
		if byPort[l.port] == nil {
			ports = append(ports, l.port)
		}
		byPort[l.port] = append(byPort[l.port], l)
	}
	for _, port := range ports {
		conflictPort(byPort[port])
	}
}

func conflictPort(ls []*listenerModel) {
	for _, l := range ls[1:] {
		if l.spec.Protocol != ls[0].spec.Protocol {
			for _, c := range ls {
				c.setConflict(errorf(gwapiv1.ListenerReasonProtocolConflict,
					"Listeners on port %d use different protocols", c.port))
			}
			return
		}
	}
	count := make(map[string]int, len(ls))
	for _, l := range ls {
		count[l.hostname]++
	}
	for _, l := range ls {
		if count[l.hostname] > 1 {
			l.setConflict(errorf(gwapiv1.ListenerReasonHostnameConflict,
				"Listeners on port %d share hostname %q", l.port, irHostname(l.hostname)))
		}
	}
}

// portClaim is what earlier Gateways of a fleet hold on one port.
type portClaim struct {
	protocol  gwapiv1.ProtocolType
	owner     string
	hostnames map[string]string // hostname -> owning Gateway
}

// resolveFleetConflicts conflicts listeners of later Gateways that are not
// distinct from listeners of earlier Gateways in the same fleet. gateways are
// in precedence order.
func resolveFleetConflicts(gateways []*gatewayModel) {
	claims := make(map[int32]*portClaim)
	for _, g := range gateways {
		for _, l := range g.listeners {
			if l.acceptErr == nil {
				conflictWithClaims(l, claims[l.port])
			}
		}
		for _, l := range g.listeners {
			if l.acceptErr == nil {
				claimPort(claims, l)
			}
		}
	}
}

func conflictWithClaims(l *listenerModel, c *portClaim) {
	switch {
	case c == nil:
	case c.protocol != l.spec.Protocol:
		l.setConflict(errorf(gwapiv1.ListenerReasonProtocolConflict,
			"Port %d is used with protocol %s by Gateway %s, which takes precedence", l.port, c.protocol, c.owner))
	case c.hostnames[l.hostname] != "":
		l.setConflict(errorf(gwapiv1.ListenerReasonHostnameConflict,
			"Hostname %q on port %d is used by Gateway %s, which takes precedence", irHostname(l.hostname), l.port, c.hostnames[l.hostname]))
	}
}

func claimPort(claims map[int32]*portClaim, l *listenerModel) {
	c := claims[l.port]
	if c == nil {
		c = &portClaim{protocol: l.spec.Protocol, owner: l.gateway.key.String(), hostnames: map[string]string{}}
		claims[l.port] = c
	}
	c.hostnames[l.hostname] = l.gateway.key.String()
}

// resolveContainerPorts makes a listener unavailable when the port Envoy
// would bind for it is already bound for another port of the fleet (port 80
// and port 10080 both bind 10080). The first listener in precedence order wins.
func resolveContainerPorts(gateways []*gatewayModel) {
	bound := make(map[uint32]int32)
	for _, g := range gateways {
		for _, l := range g.listeners {
			if l.acceptErr != nil {
				continue
			}
			cp := ir.ContainerPort(uint32(l.port))
			if other, ok := bound[cp]; ok && other != l.port {
				l.acceptErr = errorf(gwapiv1.ListenerReasonPortUnavailable,
					"%s", fmt.Sprintf("Port %d is unavailable: Envoy binds %d for port %d already", l.port, cp, other))
				continue
			}
			bound[cp] = l.port
		}
	}
}
