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
// Within one Gateway (or one ListenerSet) no listener wins: every indistinct
// listener is conflicted. Between a Gateway and its ListenerSets, and across
// the Gateways merged into one fleet, the listener that comes first keeps
// the port or hostname and later ones are conflicted. The order is: each
// Gateway (oldest, then namespace/name) followed by its allowed ListenerSets
// (oldest, then namespace/name). A later listener whose protocol we do not
// serve is still conflicted when an earlier one holds its port with another
// protocol.

// setConflict marks a listener conflicted and therefore not accepted.
func (l *listenerModel) setConflict(err *listenerError) {
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
	hostnames map[string]string // hostname -> owning Gateway or ListenerSet
}

// resolveFleetConflicts conflicts listeners that are not distinct from
// listeners that come earlier in the same fleet. gateways are in precedence
// order. The ListenerSets of a Gateway that has no accepted listener left
// take no part: the Gateway will not be accepted.
func resolveFleetConflicts(gateways []*gatewayModel) {
	claims := make(map[int32]*portClaim)
	for _, g := range gateways {
		for i, group := range g.listenerGroups() {
			if i == 1 && !anyAccepted(g.listeners) {
				break
			}
			claimGroup(claims, group)
		}
	}
}

// claimGroup conflicts the listeners of one object with earlier claims,
// then those left with each other (a listener that lost its port to an
// earlier object does not take its siblings down with it), then claims
// their ports and hostnames.
func claimGroup(claims map[int32]*portClaim, group []*listenerModel) {
	for _, l := range group {
		if l.acceptErr == nil || l.acceptErr.reason == gwapiv1.ListenerReasonUnsupportedProtocol {
			conflictWithClaims(l, claims[l.port])
		}
	}
	resolveGatewayConflicts(group)
	for _, l := range group {
		if l.acceptErr == nil {
			claimPort(claims, l)
		}
	}
}

func anyAccepted(ls []*listenerModel) bool {
	for _, l := range ls {
		if l.acceptErr == nil {
			return true
		}
	}
	return false
}

func conflictWithClaims(l *listenerModel, c *portClaim) {
	switch {
	case c == nil:
	case c.protocol != l.spec.Protocol:
		l.setConflict(errorf(gwapiv1.ListenerReasonProtocolConflict,
			"Port %d is used with protocol %s by %s, which takes precedence", l.port, c.protocol, c.owner))
	case c.hostnames[l.hostname] != "":
		l.setConflict(errorf(gwapiv1.ListenerReasonHostnameConflict,
			"Hostname %q on port %d is used by %s, which takes precedence", irHostname(l.hostname), l.port, c.hostnames[l.hostname]))
	}
}

func claimPort(claims map[int32]*portClaim, l *listenerModel) {
	c := claims[l.port]
	if c == nil {
		c = &portClaim{protocol: l.spec.Protocol, owner: l.owner(), hostnames: map[string]string{}}
		claims[l.port] = c
	}
	c.hostnames[l.hostname] = l.owner()
}

// resolveContainerPorts makes a listener unavailable when the port Envoy
// would bind for it is one of Envoy's own (19000 and 19001, see
// ir.ReservedContainerPort) or already bound for another port of the fleet
// (port 80 and port 10080 both bind 10080). The first listener in
// precedence order wins.
func resolveContainerPorts(gateways []*gatewayModel) {
	bound := make(map[uint32]int32)
	for _, g := range gateways {
		for _, l := range concat(g.listenerGroups()) {
			if l.acceptErr != nil {
				continue
			}
			cp := ir.ContainerPort(uint32(l.port))
			if use := ir.ReservedContainerPort(cp); use != "" {
				l.acceptErr = errorf(gwapiv1.ListenerReasonPortUnavailable,
					"%s", fmt.Sprintf("Port %d is unavailable: Envoy binds %d for its %s", l.port, cp, use))
				continue
			}
			if other, ok := bound[cp]; ok && other != l.port {
				l.acceptErr = errorf(gwapiv1.ListenerReasonPortUnavailable,
					"%s", fmt.Sprintf("Port %d is unavailable: Envoy binds %d for port %d already", l.port, cp, other))
				continue
			}
			bound[cp] = l.port
		}
	}
}

// concat joins listener groups in order.
func concat(groups [][]*listenerModel) []*listenerModel {
	var out []*listenerModel
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
