package translator

import (
	"fmt"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
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
