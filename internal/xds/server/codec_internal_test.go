package server

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

func value(n int, fill byte) []byte { return bytes.Repeat([]byte{fill}, n) }

// decoded materializes what the codec marshals and parses it into a new
// message of m's type.
func decoded(t *testing.T, m proto.Message) (proto.Message, mem.BufferSlice) {
	t.Helper()
	data, err := newResponseCodec(nil).Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out := m.ProtoReflect().Type().New().Interface()
	if err := proto.Unmarshal(data.Materialize(), out); err != nil {
		t.Fatalf("the encoding does not parse: %v", err)
	}
	return out, data
}

// pointsAt reports whether one of data's buffers is b itself (not a copy).
func pointsAt(data mem.BufferSlice, b []byte) bool {
	for _, d := range data {
		if r := d.ReadOnlyData(); len(r) == len(b) && unsafe.SliceData(r) == unsafe.SliceData(b) {
			return true
		}
	}
	return false
}

func TestCodecEncodesLargeResourcesWithoutCopies(t *testing.T) {
	large := value(largeValue, 'r')
	resp := &discoveryv3.DiscoveryResponse{
		VersionInfo: "v1", TypeUrl: resourcev3.RouteType, Nonce: "7",
		Resources: []*anypb.Any{
			{TypeUrl: resourcev3.RouteType, Value: value(10, 'a')},
			{TypeUrl: resourcev3.RouteType, Value: large},
			{TypeUrl: resourcev3.RouteType, Value: value(20, 'b')},
			{TypeUrl: resourcev3.RouteType},
			{TypeUrl: resourcev3.RouteType, Value: value(3*largeValue, 'c')},
		},
	}
	got, data := decoded(t, resp)
	if !proto.Equal(got, resp) {
		t.Error("the sotw response decodes to another message")
	}
	if !pointsAt(data, large) || !pointsAt(data, resp.Resources[4].Value) {
		t.Error("a large value was copied")
	}

	delta := &discoveryv3.DeltaDiscoveryResponse{
		SystemVersionInfo: "s1", TypeUrl: resourcev3.RouteType, Nonce: "8", RemovedResources: []string{"gone"},
		Resources: []*discoveryv3.Resource{
			{Name: "small", Version: "1", Resource: &anypb.Any{TypeUrl: resourcev3.RouteType, Value: value(5, 'x')}},
			{Name: "large", Version: "2", Aliases: []string{"alias"}, Ttl: durationpb.New(3),
				Resource: &anypb.Any{TypeUrl: resourcev3.RouteType, Value: large}},
			{Name: "empty", Version: "3"},
		},
	}
	gotDelta, data := decoded(t, delta)
	if !proto.Equal(gotDelta, delta) {
		t.Error("the delta response decodes to another message")
	}
	if !pointsAt(data, large) {
		t.Error("a large value of a delta response was copied")
	}
}

// TestCodecSendsPartedValuesInPlace checks that the parts of a parted Any
// go on the wire in place of its empty value, in both protocols: a large
// one as buffers pointing at its parts, a small one appended. The decoded
// response holds the joined value.
func TestCodecSendsPartedValuesInPlace(t *testing.T) {
	largeParts := [][]byte{value(10, 'h'), value(largeValue, 'a'), value(7, 'b')}
	smallParts := [][]byte{value(3, 'h'), value(4, 'c')}
	large := newPartedAny(resourcev3.RouteType, largeParts)
	small := newPartedAny(resourcev3.RouteType, smallParts)
	want := func(parts [][]byte) *anypb.Any {
		return &anypb.Any{TypeUrl: resourcev3.RouteType, Value: bytes.Join(parts, nil)}
	}
	resp := &discoveryv3.DiscoveryResponse{VersionInfo: "v1", TypeUrl: resourcev3.RouteType, Nonce: "7",
		Resources: []*anypb.Any{small, {TypeUrl: resourcev3.RouteType, Value: value(5, 'x')}, large}}
	got, data := decoded(t, resp)
	wantResp := &discoveryv3.DiscoveryResponse{VersionInfo: "v1", TypeUrl: resourcev3.RouteType, Nonce: "7",
		Resources: []*anypb.Any{want(smallParts), resp.Resources[1], want(largeParts)}}
	if !proto.Equal(got, wantResp) {
		t.Error("the sotw response does not decode to the joined values")
	}
	for _, part := range largeParts {
		if !pointsAt(data, part) {
			t.Errorf("a part of %d bytes of a large parted value was copied", len(part))
		}
	}
	if pointsAt(data, smallParts[1]) {
		t.Error("a small parted value was sent as buffers of its own")
	}

	delta := &discoveryv3.DeltaDiscoveryResponse{SystemVersionInfo: "s1", TypeUrl: resourcev3.RouteType, Nonce: "8",
		Resources: []*discoveryv3.Resource{{Name: "small", Version: "1", Resource: small}, {Name: "large", Version: "2", Resource: large}}}
	gotDelta, data := decoded(t, delta)
	wantDelta := &discoveryv3.DeltaDiscoveryResponse{SystemVersionInfo: "s1", TypeUrl: resourcev3.RouteType, Nonce: "8",
		Resources: []*discoveryv3.Resource{{Name: "small", Version: "1", Resource: want(smallParts)}, {Name: "large", Version: "2", Resource: want(largeParts)}}}
	if !proto.Equal(gotDelta, wantDelta) {
		t.Error("the delta response does not decode to the joined values")
	}
	if !pointsAt(data, largeParts[1]) {
		t.Error("a large part of a delta response was copied")
	}
	if got := valueOf(large); !bytes.Equal(got, bytes.Join(largeParts, nil)) {
		t.Error("valueOf does not join the parts")
	}
	if _, _, ok := partsOf(&anypb.Any{TypeUrl: resourcev3.RouteType}); ok {
		t.Error("an Any not made parted has parts")
	}
}

// TestCodecEncodesSmallResponsesAsProto: without a large value, the
// encoding is gRPC's proto codec's, byte for byte.
func TestCodecEncodesSmallResponsesAsProto(t *testing.T) {
	c := newResponseCodec(nil)
	resp := &discoveryv3.DiscoveryResponse{VersionInfo: "v", Resources: []*anypb.Any{{TypeUrl: "t", Value: value(100, 'a')}}}
	mine, err := c.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := c.proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mine.Materialize(), theirs.Materialize()) {
		t.Error("a response without large values is encoded differently")
	}
	if _, err := c.Marshal(struct{}{}); err == nil || !strings.Contains(err.Error(), "proto") {
		t.Errorf("marshaling a non-message: error %v", err)
	}
}

// BenchmarkCodecMarshal marshals a state-of-the-world response holding a
// 5 MB route configuration (the size of one at 10,000 routes) with the
// server's codec and with gRPC's proto codec.
func BenchmarkCodecMarshal(b *testing.B) {
	resp := &discoveryv3.DiscoveryResponse{VersionInfo: "v1", TypeUrl: resourcev3.RouteType, Nonce: "1",
		Resources: []*anypb.Any{{TypeUrl: resourcev3.RouteType, Value: value(5<<20, 'r')}}}
	c := newResponseCodec(nil)
	for _, codec := range []struct {
		name string
		c    interface {
			Marshal(v any) (mem.BufferSlice, error)
		}
	}{{"codec=server", c}, {"codec=proto", c.proto}} {
		b.Run(codec.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				data, err := codec.c.Marshal(resp)
				if err != nil {
					b.Fatal(err)
				}
				data.Free()
			}
		})
	}
}
