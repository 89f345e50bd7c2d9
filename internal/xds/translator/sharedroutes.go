package translator

import (
	"slices"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// sharedRoutes are the encoded routes and the compact virtual hosts that
// the route configurations of one Cache translation built or kept, for
// the configurations after them to take instead of building equal ones:
// the listeners of two ports, or an HTTP and an HTTPS listener, serve the
// same IR routes (the resource translator emits them once for listeners
// with the same hostnames), so their virtual hosts are the same bytes,
// held once. A virtual host is taken only when its bytes are the ones
// wanted (see checkedCompactVirtualHost).
type sharedRoutes struct {
	wires  map[*ir.HTTPRoute][]byte
	vhosts map[string][]*routev3.VirtualHost
}

// routesOf returns the encoded routes of r (see cachedRoutes): those
// another configuration of the translation holds, or built.
func (s *sharedRoutes) routesOf(r *ir.HTTPRoute) ([]byte, error) {
	if w, ok := s.wires[r]; ok {
		return w, nil
	}
	return cachedRoutes(r)
}

// vhostsOf returns the virtual hosts of hostname added (configurations
// serving other routes on the same hostname have other ones).
func (s *sharedRoutes) vhostsOf(hostname string) []*routev3.VirtualHost {
	return s.vhosts[hostname]
}

// add records vh, whose routes are those of routes encoded as wires
// (slices of vh's bytes).
func (s *sharedRoutes) add(vh *routev3.VirtualHost, routes []*ir.HTTPRoute, wires [][]byte) {
	if s.vhosts == nil {
		s.wires, s.vhosts = map[*ir.HTTPRoute][]byte{}, map[string][]*routev3.VirtualHost{}
	}
	if !slices.Contains(s.vhosts[vh.GetName()], vh) {
		s.vhosts[vh.GetName()] = append(s.vhosts[vh.GetName()], vh)
	}
	for k, r := range routes {
		s.wires[r] = wires[k]
	}
}
