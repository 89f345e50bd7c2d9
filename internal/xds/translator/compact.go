package translator

import (
	"bytes"
	"fmt"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// compactAssignment makes dst the compact form of cla: it encodes exactly
// as cla (deterministically) but holds, besides its cluster name, the
// encoding of cla's other fields as unknown fields: a few hundred bytes
// where cla's message tree takes a few kilobytes. A Cache keeps an
// assignment for every EDS cluster of a fleet, 20,000 at 10,000 routes, as
// long as it is served; the proxies and the xDS server see only its bytes,
// and the server looks it up by pointer. cla has been validated and is
// the caller's; its name is cleared while it is encoded. dst is empty; on
// error it stays so.
func compactAssignment(dst, cla *endpointv3.ClusterLoadAssignment) error {
	name := cla.GetClusterName()
	cla.ClusterName = ""
	b, err := deterministic.Marshal(cla)
	cla.ClusterName = name
	if err != nil {
		return fmt.Errorf("encoding the assignment of %q: %w", name, err)
	}
	dst.ClusterName = name
	dst.ProtoReflect().SetUnknown(b)
	return nil
}

// Fields of a virtual host that a compact one holds encoded.
var (
	vhostDomainsField = (&routev3.VirtualHost{}).ProtoReflect().Descriptor().Fields().ByName("domains")
	vhostRoutesField  = (&routev3.VirtualHost{}).ProtoReflect().Descriptor().Fields().ByName("routes")
)

// routesWire returns the encoding of routes as the routes fields of a
// virtual host, one after the other: the bytes they add to the encoding
// of the virtual host holding them.
func routesWire(routes []*routev3.Route) ([]byte, error) {
	var b []byte
	for _, r := range routes {
		m, err := deterministic.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encoding route %q: %w", r.GetName(), err)
		}
		b = protowire.AppendTag(b, vhostRoutesField.Number(), protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	return b, nil
}

// cachedRoutes are the routes of r as the Cache keeps them: checked
// (CheckedRoutes), then encoded (routesWire). A Cache keeps the routes of
// every route configuration, 40,000 at 10,000 HTTPRoutes, to build again
// the virtual hosts of the hostnames a change touches; the proxies see
// only their bytes.
func cachedRoutes(r *ir.HTTPRoute) ([]byte, error) {
	routes, err := CheckedRoutes(r)
	if err != nil {
		return nil, err
	}
	return routesWire(routes)
}

// misdirectedWire is misdirectedRoute encoded (routesWire).
var misdirectedWire = func() []byte {
	b, err := routesWire([]*routev3.Route{misdirectedRoute})
	if err != nil {
		panic(err) // a constant message
	}
	return b
}()

// domainsWire is the encoding of a virtual host's domains holding
// hostname alone.
func domainsWire(hostname string) []byte {
	b := protowire.AppendTag(nil, vhostDomainsField.Number(), protowire.BytesType)
	return protowire.AppendString(b, hostname)
}

// checkedCompactVirtualHost returns the compact virtual host of hostname
// whose routes are encoded in wires (each from routesWire), its own fields
// checked, or prev (nil: none) or the first of others that is that
// virtual host already. parts are wires as slices of its bytes, for the caller to keep instead
// of its own: the Cache then holds one copy of a route's bytes.
//
// A compact virtual host holds its name, and its domains and routes
// encoded as its unknown fields: it encodes exactly as VirtualHost(hostname,
// routes) (a message's fields are encoded in number order, its unknown
// fields last), but takes the bytes of its routes instead of a message
// tree each (a route message alone is about 380 bytes). The xDS server
// compares virtual hosts by pointer and encodes them; nothing reads their
// routes.
func checkedCompactVirtualHost(hostname string, wires [][]byte, prev *routev3.VirtualHost, others []*routev3.VirtualHost) (*routev3.VirtualHost, [][]byte, error) {
	head := domainsWire(hostname)
	if vh, parts, ok := sameVirtualHost(hostname, head, wires, prev); ok {
		return vh, parts, nil
	}
	for _, o := range others {
		if vh, parts, ok := sameVirtualHost(hostname, head, wires, o); ok {
			return vh, parts, nil
		}
	}
	if err := VirtualHost(hostname, nil).ValidateAll(); err != nil {
		return nil, nil, err
	}
	size := len(head)
	for _, w := range wires {
		size += len(w)
	}
	buf := append(make([]byte, 0, size), head...)
	parts := make([][]byte, len(wires))
	for i, w := range wires {
		start := len(buf)
		buf = append(buf, w...)
		parts[i] = buf[start:len(buf):len(buf)]
	}
	vh := &routev3.VirtualHost{Name: hostname}
	vh.ProtoReflect().SetUnknown(buf)
	return vh, parts, nil
}

// sameVirtualHost returns vh and wires as slices of its bytes when vh (nil:
// none) is the compact virtual host of hostname, whose domains encode as
// head, with the routes encoded in wires.
func sameVirtualHost(hostname string, head []byte, wires [][]byte, vh *routev3.VirtualHost) (*routev3.VirtualHost, [][]byte, bool) {
	if vh == nil || vh.GetName() != hostname {
		return nil, nil, false
	}
	parts, ok := splitAs(vh.ProtoReflect().GetUnknown(), head, wires)
	return vh, parts, ok
}

// splitAs returns unknown cut into the parts of wires, when it is head
// then wires, one after the other. Comparing bytes that are the same
// memory (wires that are parts of unknown already) costs nothing.
func splitAs(unknown, head []byte, wires [][]byte) ([][]byte, bool) {
	if !bytes.HasPrefix(unknown, head) {
		return nil, false
	}
	at := len(head)
	for _, w := range wires {
		end := at + len(w)
		if end > len(unknown) || !bytes.Equal(unknown[at:end], w) {
			return nil, false
		}
		at = end
	}
	if at != len(unknown) {
		return nil, false
	}
	parts := make([][]byte, len(wires))
	at = len(head)
	for i, w := range wires {
		end := at + len(w)
		parts[i] = unknown[at:end:end]
		at = end
	}
	return parts, true
}
