package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// entry is one resource as served: the message put into the snapshots and
// its version, a hash of its wire bytes.
type entry struct {
	name string
	// input is the translator's message the entry was made from.
	input   types.Resource
	served  types.Resource
	version string
	// wire is the served message's encoding, what the partial cache sends
	// (nil for listeners and clusters, which the snapshot caches serve).
	wire []byte
	// sum is the entry's share of its type's version (see versionSum).
	sum versionSum
}

// encoder turns the translator's resources into served entries, keeping
// what it computed for each resource message (by pointer: the translator
// reuses the messages of unchanged resources, and published messages are
// never modified) so that a resource of the previous content costs a map
// lookup. Each content has its own encoder, seeded from the previous one
// and holding only what the new content uses.
//
// Route configurations and cluster load assignments, the large and the
// numerous resources, are served pre-encoded: the message holds its name
// and carries every other field as its unknown fields, which proto
// marshalling copies verbatim. go-control-plane marshals a resource for
// every response to every proxy; for these it is a copy of bytes computed
// once. The virtual hosts of a route configuration are encoded one by one
// and kept, so that a route configuration with one changed virtual host
// encodes that virtual host only.
type encoder struct {
	prev *encoder
	// entries are by type, then by the translator's message.
	entries map[resourcev3.Type]map[types.Resource]*entry
	// vhosts are the encoded virtual_hosts fields of route configurations.
	vhosts map[*routev3.VirtualHost][]byte
}

func newEncoder(prev *encoder) *encoder {
	return &encoder{prev: prev, entries: map[resourcev3.Type]map[types.Resource]*entry{}, vhosts: map[*routev3.VirtualHost][]byte{}}
}

// done drops the link to the previous encoder: the new one holds what the
// content uses, and nothing modifies it any more.
func (e *encoder) done() { e.prev = nil }

// share makes e use prev's entries of type t as they are (a type that did
// not change); neither modifies them afterwards.
func (e *encoder) share(prev *encoder, t resourcev3.Type) {
	e.entries[t] = prev.entries[t]
	if t == resourcev3.RouteType {
		e.vhosts = prev.vhosts
	}
}

// entry returns the served entry of r, of type t.
func (e *encoder) entry(t resourcev3.Type, r types.Resource) (*entry, error) {
	byMsg := e.entries[t]
	if byMsg == nil {
		byMsg = map[types.Resource]*entry{}
		e.entries[t] = byMsg
	}
	if en, ok := byMsg[r]; ok {
		return en, nil
	}
	if e.prev != nil {
		if en, ok := e.prev.entries[t][r]; ok {
			byMsg[r] = en
			e.keepVhosts(r)
			return en, nil
		}
	}
	en, err := e.encode(r)
	if err != nil {
		return nil, err
	}
	byMsg[r] = en
	return en, nil
}

// keepVhosts carries the encoded virtual hosts of a reused route
// configuration over from the previous encoder.
func (e *encoder) keepVhosts(r types.Resource) {
	rc, ok := r.(*routev3.RouteConfiguration)
	if !ok {
		return
	}
	for _, vh := range rc.GetVirtualHosts() {
		if b, ok := e.prev.vhosts[vh]; ok {
			e.vhosts[vh] = b
		}
	}
}

func (e *encoder) encode(r types.Resource) (*entry, error) {
	var served types.Resource
	var wire []byte
	var err error
	switch m := r.(type) {
	case *routev3.RouteConfiguration:
		var vhosts [][]byte
		if vhosts, err = e.vhostsOf(m); err == nil {
			served, wire, err = preEncoded(m, rcNameField, vhostsField, vhosts)
		}
	case *endpointv3.ClusterLoadAssignment:
		served, wire, err = preEncoded(m, claNameField, nil, nil)
	default:
		served = r
		wire, err = deterministic.Marshal(served)
	}
	if err != nil {
		return nil, fmt.Errorf("encoding %q: %w", cachev3.GetResourceName(r), err)
	}
	sum := sha256.Sum256(wire)
	en := &entry{name: cachev3.GetResourceName(r), input: r, served: served, version: hex.EncodeToString(sum[:8])}
	if _, partial := r.(*tlsv3.Secret); partial || served != r {
		en.wire = wire
	}
	en.sum = entrySum(en.name, en.version)
	return en, nil
}

// preEncoded returns a new message of m's type holding m's name field,
// with every other field of m but skip encoded as its unknown fields,
// followed by tail (the encoded skip field, when there is one), and the
// served message's deterministic encoding (its name field, then its unknown
// fields), without encoding it again: the bytes are built once, in one
// buffer, the unknown fields being its end.
func preEncoded(m proto.Message, name, skip protoreflect.FieldDescriptor, tail [][]byte) (types.Resource, []byte, error) {
	src := m.ProtoReflect()
	rest := src.Type().New()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd != name && fd != skip {
			rest.Set(fd, v)
		}
		return true
	})
	b, err := deterministic.Marshal(rest.Interface())
	if err != nil {
		return nil, nil, err
	}
	var head []byte
	if n := src.Get(name).String(); n != "" {
		head = protowire.AppendString(protowire.AppendTag(nil, name.Number(), protowire.BytesType), n)
	}
	size := len(head) + len(b)
	for _, t := range tail {
		size += len(t)
	}
	wire := append(append(make([]byte, 0, size), head...), b...)
	for _, t := range tail {
		wire = append(wire, t...)
	}
	served := src.Type().New()
	served.Set(name, src.Get(name))
	served.SetUnknown(wire[len(head):])
	return served.Interface(), wire, nil
}

// Fields of the pre-encoded resources.
var (
	rcNameField  = (&routev3.RouteConfiguration{}).ProtoReflect().Descriptor().Fields().ByName("name")
	vhostsField  = (&routev3.RouteConfiguration{}).ProtoReflect().Descriptor().Fields().ByName("virtual_hosts")
	claNameField = (&endpointv3.ClusterLoadAssignment{}).ProtoReflect().Descriptor().Fields().ByName("cluster_name")
)

// vhostsOf returns the encoded virtual_hosts fields of rc, one per
// virtual host.
func (e *encoder) vhostsOf(rc *routev3.RouteConfiguration) ([][]byte, error) {
	parts := make([][]byte, 0, len(rc.GetVirtualHosts()))
	for _, vh := range rc.GetVirtualHosts() {
		b, err := e.vhost(vh)
		if err != nil {
			return nil, err
		}
		parts = append(parts, b)
	}
	return parts, nil
}

// vhost returns the encoded virtual_hosts field holding vh.
func (e *encoder) vhost(vh *routev3.VirtualHost) ([]byte, error) {
	if b, ok := e.vhosts[vh]; ok {
		return b, nil
	}
	if e.prev != nil {
		if b, ok := e.prev.vhosts[vh]; ok {
			e.vhosts[vh] = b
			return b, nil
		}
	}
	inner, err := deterministic.Marshal(vh)
	if err != nil {
		return nil, fmt.Errorf("virtual host %q: %w", vh.GetName(), err)
	}
	b := protowire.AppendTag(nil, vhostsField.Number(), protowire.BytesType)
	b = protowire.AppendBytes(b, inner)
	e.vhosts[vh] = b
	return b, nil
}
