package server

import (
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// largeValue is the size from which a resource's encoded bytes are sent as
// they are, without being copied into the response's buffer.
const largeValue = 64 << 10

// responseCodec is the server's gRPC codec: gRPC's proto codec, except that
// it encodes a discovery response whose resources hold large encoded
// values (a RouteConfiguration of thousands of virtual hosts is megabytes)
// as buffers that point at those values, and sends the parts of a parted
// Any (see newPartedAny) in place of its value. The default codec copies
// each response into one new buffer: per stream and per change, megabytes
// allocated and copied. The bytes on the wire are a valid encoding of the
// same message: the fields other than resources first, then each resource
// in order, the way any protobuf parser reads them.
//
// A request it decodes has the resource names it subscribes to given to
// shareNames (when not nil), which may replace them by equal strings the
// server holds.
type responseCodec struct {
	proto      encoding.CodecV2
	shareNames func(t string, names []string)
}

func newResponseCodec(shareNames func(t string, names []string)) responseCodec {
	return responseCodec{proto: encoding.GetCodecV2("proto"), shareNames: shareNames}
}

func (c responseCodec) Name() string { return c.proto.Name() }

func (c responseCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if err := c.proto.Unmarshal(data, v); err != nil || c.shareNames == nil {
		return err
	}
	switch m := v.(type) {
	case *discoveryv3.DiscoveryRequest:
		c.shareNames(m.GetTypeUrl(), m.GetResourceNames())
	case *discoveryv3.DeltaDiscoveryRequest:
		c.shareNames(m.GetTypeUrl(), m.GetResourceNamesSubscribe())
	}
	return nil
}

func (c responseCodec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case *discoveryv3.DiscoveryResponse:
		if hasLarge(m.GetResources(), func(a *anypb.Any) *anypb.Any { return a }) {
			return marshalSplit(m, sotwResourcesField, m.GetResources(), appendAny)
		}
	case *discoveryv3.DeltaDiscoveryResponse:
		if hasLarge(m.GetResources(), (*discoveryv3.Resource).GetResource) {
			return marshalSplit(m, deltaResourcesField, m.GetResources(), appendDeltaResource)
		}
	}
	return c.proto.Marshal(v)
}

var (
	sotwResourcesField  = (&discoveryv3.DiscoveryResponse{}).ProtoReflect().Descriptor().Fields().ByName("resources")
	deltaResourcesField = (&discoveryv3.DeltaDiscoveryResponse{}).ProtoReflect().Descriptor().Fields().ByName("resources")
	deltaResourceAny    = (&discoveryv3.Resource{}).ProtoReflect().Descriptor().Fields().ByName("resource")
)

func hasLarge[R any](resources []R, anyOf func(R) *anypb.Any) bool {
	for _, r := range resources {
		a := anyOf(r)
		if _, _, parted := partsOf(a); parted || len(a.GetValue()) >= largeValue {
			return true
		}
	}
	return false
}

// marshalSplit encodes m: its fields but resources in one buffer, then
// each resource (field) appended by appendResource, which returns the
// large parts of the value to send as they are after the bytes it
// appended.
func marshalSplit[R proto.Message](m proto.Message, field protoreflect.FieldDescriptor, resources []R,
	appendResource func(b []byte, r R) ([]byte, [][]byte, error)) (mem.BufferSlice, error) {
	b, err := proto.MarshalOptions{}.Marshal(without(m, field))
	if err != nil {
		return nil, err
	}
	var out mem.BufferSlice
	for _, r := range resources {
		var large [][]byte
		b, large, err = appendResource(protowire.AppendTag(b, field.Number(), protowire.BytesType), r)
		if err != nil {
			return nil, err
		}
		if large != nil {
			out = append(out, mem.SliceBuffer(b))
			for _, part := range large {
				out = append(out, mem.SliceBuffer(part))
			}
			b = nil
		}
	}
	if len(b) > 0 {
		out = append(out, mem.SliceBuffer(b))
	}
	return out, nil
}

// without returns a shallow copy of m without field.
func without(m proto.Message, field protoreflect.FieldDescriptor) proto.Message {
	src := m.ProtoReflect()
	dst := src.Type().New()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd != field {
			dst.Set(fd, v)
		}
		return true
	})
	dst.SetUnknown(src.GetUnknown())
	return dst.Interface()
}

// appendAny appends the length and encoding of a (its field tag is in b).
// A large value is not appended but returned: it follows b on the wire.
func appendAny(b []byte, a *anypb.Any) ([]byte, [][]byte, error) {
	parts, size, sendApart := splitValue(a)
	if parts == nil {
		b = protowire.AppendVarint(b, uint64(proto.Size(a)))
		b, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(b, a)
		return b, nil, err
	}
	b = protowire.AppendVarint(b, uint64(anySize(a, size)))
	return appendValue(appendAnyHead(b, a, size), parts, sendApart)
}

// appendDeltaResource appends the length and encoding of r (its field tag
// is in b); a large value of its resource is returned, not appended.
func appendDeltaResource(b []byte, r *discoveryv3.Resource) ([]byte, [][]byte, error) {
	a := r.GetResource()
	parts, size, sendApart := splitValue(a)
	if parts == nil {
		b = protowire.AppendVarint(b, uint64(proto.Size(r)))
		b, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(b, r)
		return b, nil, err
	}
	rest, err := proto.MarshalOptions{}.Marshal(without(r, deltaResourceAny))
	if err != nil {
		return nil, nil, err
	}
	anyLen := anySize(a, size)
	anyField := protowire.SizeTag(deltaResourceAny.Number()) + protowire.SizeBytes(anyLen)
	b = protowire.AppendVarint(b, uint64(len(rest)+anyField))
	b = append(b, rest...)
	b = protowire.AppendTag(b, deltaResourceAny.Number(), protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(anyLen))
	return appendValue(appendAnyHead(b, a, size), parts, sendApart)
}

// splitValue returns the parts of a's value and their total length when
// the codec writes it itself: a parted Any's parts, or a large value as
// one part (nil parts: a is marshalled as it is). sendApart says whether
// the parts are sent as buffers of their own (a large value) or appended
// (a small parted one).
func splitValue(a *anypb.Any) (parts [][]byte, size int, sendApart bool) {
	if len(a.ProtoReflect().GetUnknown()) > 0 {
		return nil, 0, false
	}
	if parts, size, ok := partsOf(a); ok {
		return parts, size, size >= largeValue
	}
	if v := a.GetValue(); len(v) >= largeValue {
		return [][]byte{v}, len(v), true
	}
	return nil, 0, false
}

// appendValue appends parts to b, or returns them to be sent apart.
func appendValue(b []byte, parts [][]byte, sendApart bool) ([]byte, [][]byte, error) {
	if sendApart {
		return b, parts, nil
	}
	for _, part := range parts {
		b = append(b, part...)
	}
	return b, nil, nil
}

// anySize is the encoded size of a whose value is size bytes long (without
// unknown fields).
func anySize(a *anypb.Any, size int) int {
	n := protowire.SizeTag(2) + protowire.SizeBytes(size)
	if a.GetTypeUrl() != "" {
		n += protowire.SizeTag(1) + protowire.SizeBytes(len(a.GetTypeUrl()))
	}
	return n
}

// appendAnyHead appends a's fields up to its value's bytes (size of them):
// the type URL, then the value's tag and length.
func appendAnyHead(b []byte, a *anypb.Any, size int) []byte {
	if a.GetTypeUrl() != "" {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, a.GetTypeUrl())
	}
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(size))
}
