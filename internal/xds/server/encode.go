package server

import (
	"bytes"
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

	"github.com/envoygw/envoy-gateway/internal/sliceends"
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
	// vhosts are, for a route configuration, the encoded virtual_hosts
	// fields of its input's virtual hosts, in order (slices of wire), and
	// vhostSums their hashes.
	vhosts    [][]byte
	vhostSums []vhostSum
}

// vhostSum is the hash of an encoded virtual host (a truncated SHA-256).
type vhostSum [16]byte

// encoder turns the translator's resources into served entries, keeping
// what it computed for each resource message (by pointer: the translator
// reuses the messages of unchanged resources, and published messages are
// never modified) so that a resource of the previous content costs a map
// lookup. Each content has its own encoder, seeded from the previous one
// and holding only what the new content uses. Entries of the partial types
// are not kept here: the content's index by name finds them (see
// content.entry).
//
// Route configurations and cluster load assignments, the large and the
// numerous resources, are served pre-encoded: the message holds its name
// and carries every other field as its unknown fields, which proto
// marshalling copies verbatim. go-control-plane marshals a resource for
// every response to every proxy; for these it is a copy of bytes computed
// once. The virtual hosts of a route configuration are encoded one by one
// and kept with its entry, so that a route configuration whose virtual
// hosts are the previous one's with a few replaced encodes those few (see
// vhostsOf).
type encoder struct {
	prev *encoder
	// entries are by type, then by the translator's message.
	entries map[resourcev3.Type]map[types.Resource]*entry
}

func newEncoder(prev *encoder) *encoder {
	return &encoder{prev: prev, entries: map[resourcev3.Type]map[types.Resource]*entry{}}
}

// done drops the link to the previous encoder: the new one holds what the
// content uses, and nothing modifies it any more.
func (e *encoder) done() { e.prev = nil }

// share makes e use prev's entries of type t as they are (a type that did
// not change); neither modifies them afterwards.
func (e *encoder) share(prev *encoder, t resourcev3.Type) {
	e.entries[t] = prev.entries[t]
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
			return en, nil
		}
	}
	en, err := encode(r, nil)
	if err != nil {
		return nil, err
	}
	byMsg[r] = en
	return en, nil
}

// encode returns the entry of r; prev, when not nil, is the previous entry
// of the same name, whose encoded parts are reused for the same messages.
func encode(r types.Resource, prev *entry) (*entry, error) {
	var served types.Resource
	var wire []byte
	var vhosts [][]byte
	var vhostSums []vhostSum
	var err error
	switch m := r.(type) {
	case *routev3.RouteConfiguration:
		var kept keptRuns
		if vhosts, vhostSums, kept, err = vhostsOf(m, prev); err == nil {
			served, wire, err = preEncoded(m, rcNameField, vhostsField, wireSegments(vhosts, kept, prev))
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
	en := &entry{name: cachev3.GetResourceName(r), input: r, served: served, vhosts: inWire(wire, vhosts), vhostSums: vhostSums}
	en.version = versionOf(wire, vhosts, vhostSums)
	if _, partial := r.(*tlsv3.Secret); partial || served != r {
		en.wire = wire
	}
	en.sum = entrySum(en.name, en.version)
	return en, nil
}

// inWire returns parts (the last bytes of wire, in order) as slices of
// wire: the copies they were made from, and the previous wire they may be
// slices of, are then garbage; a route configuration's bytes are held once.
func inWire(wire []byte, parts [][]byte) [][]byte {
	if parts == nil {
		return nil
	}
	out := make([][]byte, len(parts))
	at := len(wire)
	for _, p := range parts {
		at -= len(p)
	}
	for i, p := range parts {
		out[i] = wire[at : at+len(p) : at+len(p)]
		at += len(p)
	}
	return out
}

// versionOf returns the version of a resource encoded as wire: a hash of
// its bytes. For a route configuration, whose wire ends with its encoded
// virtual hosts, the hash is of the bytes before them and of their hashes,
// so that a change of a few virtual hosts hashes those few, not
// megabytes. Either way the version changes with the bytes.
func versionOf(wire []byte, vhosts [][]byte, sums []vhostSum) string {
	var sum [sha256.Size]byte
	if vhosts == nil {
		sum = sha256.Sum256(wire)
	} else {
		tail := 0
		for _, v := range vhosts {
			tail += len(v)
		}
		h := sha256.New()
		h.Write(wire[:len(wire)-tail])
		for i := range sums {
			h.Write(sums[i][:])
		}
		h.Sum(sum[:0])
	}
	return hex.EncodeToString(sum[:8])
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
	rest.SetUnknown(src.GetUnknown()) // a message the translator made compact
	b, err := deterministic.Marshal(rest.Interface())
	if err != nil {
		return nil, nil, err
	}
	var head []byte
	if n := src.Get(name).String(); n != "" {
		head = protowire.AppendString(protowire.AppendTag(nil, name.Number(), protowire.BytesType), n)
	}
	// Join does not clear the memory it then fills: megabytes, per change.
	wire := bytes.Join(append([][]byte{head, b}, tail...), nil)
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

// keptRuns are how many virtual hosts, at the start and at the end of a
// route configuration, are its previous entry's in place.
type keptRuns struct{ head, tail int }

// vhostsOf returns the encoded virtual_hosts fields of rc, one per
// virtual host, and their hashes, taking those of the same messages from
// prev, the previous entry of rc's name (nil: none). The virtual hosts
// before and after the run where rc's differ from prev's are prev's parts
// as they are (kept says how many); those of the run are looked up among
// the run of prev's, or encoded.
func vhostsOf(rc *routev3.RouteConfiguration, prev *entry) ([][]byte, []vhostSum, keptRuns, error) {
	vhs := rc.GetVirtualHosts()
	var old []*routev3.VirtualHost
	var oldParts [][]byte
	var oldSums []vhostSum
	if prevRC, ok := prev.inputOrNil().(*routev3.RouteConfiguration); ok {
		old, oldParts, oldSums = prevRC.GetVirtualHosts(), prev.vhosts, prev.vhostSums
	}
	parts, sums := make([][]byte, len(vhs)), make([]vhostSum, len(vhs))
	p, s := sliceends.Common(old, vhs)
	copy(parts, oldParts[:p])
	copy(sums, oldSums[:p])
	copy(parts[len(vhs)-s:], oldParts[len(old)-s:])
	copy(sums[len(vhs)-s:], oldSums[len(old)-s:])
	var inRun map[*routev3.VirtualHost]int
	if len(old)-s > p {
		inRun = make(map[*routev3.VirtualHost]int, len(old)-s-p)
		for i := p; i < len(old)-s; i++ {
			inRun[old[i]] = i
		}
	}
	for i := p; i < len(vhs)-s; i++ {
		if j, ok := inRun[vhs[i]]; ok {
			parts[i], sums[i] = oldParts[j], oldSums[j]
			continue
		}
		b, err := encodeVhost(vhs[i])
		if err != nil {
			return nil, nil, keptRuns{}, err
		}
		full := sha256.Sum256(b)
		parts[i], sums[i] = b, vhostSum(full[:len(vhostSum{})])
	}
	return parts, sums, keptRuns{head: p, tail: s}, nil
}

// wireSegments returns the bytes to follow a route configuration's other
// fields: parts, its encoded virtual hosts, except that the kept runs
// (prev's parts in place, which are consecutive in prev's wire: see
// inWire) are each one slice of prev's wire. A change of one virtual host
// among thousands is then three copies, not thousands.
func wireSegments(parts [][]byte, kept keptRuns, prev *entry) [][]byte {
	if kept.head+kept.tail == 0 {
		return parts
	}
	start := len(prev.wire) - totalLen(prev.vhosts)
	out := make([][]byte, 0, len(parts)-kept.head-kept.tail+2)
	if kept.head > 0 {
		out = append(out, prev.wire[start:start+totalLen(prev.vhosts[:kept.head])])
	}
	out = append(out, parts[kept.head:len(parts)-kept.tail]...)
	if kept.tail > 0 {
		out = append(out, prev.wire[len(prev.wire)-totalLen(prev.vhosts[len(prev.vhosts)-kept.tail:]):])
	}
	return out
}

// totalLen is the sum of the lengths of parts.
func totalLen(parts [][]byte) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// inputOrNil is the entry's input, nil for a nil entry.
func (en *entry) inputOrNil() types.Resource {
	if en == nil {
		return nil
	}
	return en.input
}

// encodeVhost returns the encoded virtual_hosts field holding vh.
func encodeVhost(vh *routev3.VirtualHost) ([]byte, error) {
	inner, err := deterministic.Marshal(vh)
	if err != nil {
		return nil, fmt.Errorf("virtual host %q: %w", vh.GetName(), err)
	}
	b := protowire.AppendTag(nil, vhostsField.Number(), protowire.BytesType)
	return protowire.AppendBytes(b, inner), nil
}
