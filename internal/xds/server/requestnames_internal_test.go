package server

import (
	"strings"
	"testing"
	"unsafe"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// servingFleet is a server (not started) serving fleetOf(t, 3, 1) as
// "fleet".
func servingFleet(t *testing.T) *Server {
	t.Helper()
	s, err := New(Options{Address: "127.0.0.1", Plaintext: true, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update("fleet", fleetOf(t, 3, 1)); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRequestNamesAreTheServedStrings checks that the names of a decoded
// request (state of the world and delta) that a fleet serves are the
// server's own strings, and that the others keep their own, all
// unchanged.
func TestRequestNamesAreTheServedStrings(t *testing.T) {
	s := servingFleet(t)
	index := s.fleets["fleet"].byName[resourcev3.EndpointType]
	names := []string{strings.Clone("c0"), strings.Clone("c2"), strings.Clone("not-served")}
	codec := newResponseCodec(s.shareRequestNames)
	decode := func(m, into proto.Message) {
		t.Helper()
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, into); err != nil {
			t.Fatal(err)
		}
	}
	sotw := &discoveryv3.DiscoveryRequest{}
	decode(&discoveryv3.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNames: names}, sotw)
	delta := &discoveryv3.DeltaDiscoveryRequest{}
	decode(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNamesSubscribe: names}, delta)
	for kind, got := range map[string][]string{"state of the world": sotw.GetResourceNames(), "delta": delta.GetResourceNamesSubscribe()} {
		if strings.Join(got, ",") != strings.Join(names, ",") {
			t.Fatalf("%s: names %v, want %v", kind, got, names)
		}
		for i, n := range got {
			e, served := index.get(n)
			shared := served && unsafe.StringData(n) == unsafe.StringData(e.name)
			if shared != served {
				t.Errorf("%s: name %d %q (served %v) is the server's string: %v", kind, i, n, served, shared)
			}
		}
	}
	if _, ok := index.get("c0"); !ok {
		t.Fatal("c0 is not served: the test does not test")
	}
}

// TestRequestNamesDoNotWaitForAnUpdate: a request decoded while an update
// holds the server's lock is not held back; its names keep their own
// strings.
func TestRequestNamesDoNotWaitForAnUpdate(t *testing.T) {
	s := servingFleet(t)
	names := []string{strings.Clone("c0")}
	s.mu.Lock()
	s.shareRequestNames(resourcev3.EndpointType, names)
	s.mu.Unlock()
	e, _ := s.fleets["fleet"].byName[resourcev3.EndpointType].get("c0")
	if names[0] != "c0" || unsafe.StringData(names[0]) == unsafe.StringData(e.name) {
		t.Fatalf("name %q shared while the lock was held", names[0])
	}
}
