package translator

import (
	"fmt"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

var claNameField = (&endpointv3.ClusterLoadAssignment{}).ProtoReflect().Descriptor().Fields().ByName("cluster_name")

// compactAssignment returns an assignment that encodes exactly as cla
// (deterministically) but holds, besides its cluster name, the encoding of
// cla's other fields as unknown fields: a few hundred bytes where cla's
// message tree takes a few kilobytes. A Cache keeps an assignment for every
// EDS cluster of a fleet, 20,000 at 10,000 routes, as long as it is
// served; the proxies and the xDS server see only its bytes, and the
// server looks it up by pointer. cla has been validated; it is not
// modified.
func compactAssignment(cla *endpointv3.ClusterLoadAssignment) (*endpointv3.ClusterLoadAssignment, error) {
	src := cla.ProtoReflect()
	rest := src.Type().New()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd != claNameField {
			rest.Set(fd, v)
		}
		return true
	})
	rest.SetUnknown(src.GetUnknown())
	b, err := deterministic.Marshal(rest.Interface())
	if err != nil {
		return nil, fmt.Errorf("encoding the assignment of %q: %w", cla.GetClusterName(), err)
	}
	out := &endpointv3.ClusterLoadAssignment{ClusterName: cla.GetClusterName()}
	out.ProtoReflect().SetUnknown(b)
	return out, nil
}

// compactRoutes returns routes that encode exactly as routes
// (deterministically), each holding its whole encoding as unknown fields:
// a few hundred bytes where a route's message tree takes a few kilobytes.
// A Cache keeps the routes of every route configuration, 40,000 at 10,000
// HTTPRoutes, to build again the virtual hosts of the hostnames a change
// touches; it compares them by pointer only, and the proxies see their
// bytes. routes have been validated; they are not modified.
func compactRoutes(routes []*routev3.Route) ([]*routev3.Route, error) {
	out := make([]*routev3.Route, len(routes))
	for i, r := range routes {
		b, err := deterministic.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encoding route %q: %w", r.GetName(), err)
		}
		out[i] = &routev3.Route{}
		out[i].ProtoReflect().SetUnknown(b)
	}
	return out, nil
}

// cachedRoutes are the routes of r as the Cache keeps them: checked
// (CheckedRoutes), then compact.
func cachedRoutes(r *ir.HTTPRoute) ([]*routev3.Route, error) {
	routes, err := CheckedRoutes(r)
	if err != nil {
		return nil, err
	}
	return compactRoutes(routes)
}
