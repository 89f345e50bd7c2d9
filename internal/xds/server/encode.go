package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/envoygw/envoy-gateway/internal/chunked"
	"github.com/envoygw/envoy-gateway/internal/sliceends"
)

// entry is one resource as served: the message put into the snapshots and
// its version, a hash of its encoding. A server holds one per resource
// (40,000 at 10,000 routes): what few entries have is apart (extra).
type entry struct {
	name string
	// input is the translator's message the entry was made from, and the
	// served message unless extra says otherwise.
	input   types.Resource
	version string
	// wire is the served message's encoding, what the partial cache sends
	// (nil for listeners and clusters, which the snapshot caches serve);
	// for a route configuration, the encoding of its fields but
	// virtual_hosts, which extra.vhosts follow.
	wire []byte
	// sum is the entry's share of its type's version (see versionSum).
	sum versionSum
	// extra is, for a route configuration or a message served as another
	// (see preEncoded), what the entry holds besides; nil otherwise.
	extra *entryExtra
}

// entryExtra is what an entry of a route configuration or of a message
// served as another holds besides.
type entryExtra struct {
	// served is the served message when it is not the input.
	served types.Resource
	// value is, for a route configuration, what the partial cache sends:
	// a parted Any of wire and vhosts (see encodeRouteConfiguration).
	value *anypb.Any
	// vhosts are, for a route configuration, the encoded virtual_hosts
	// fields of its input's virtual hosts, in order, with their hashes:
	// a chunked list, so that the next entry of a configuration with
	// thousands of virtual hosts, a few of them changed, shares all but a
	// few chunks of it.
	vhosts chunked.List[vhostPart]
}

// served is the message put into the snapshots.
func (en *entry) served() types.Resource {
	if en.extra != nil && en.extra.served != nil {
		return en.extra.served
	}
	return en.input
}

// vhostPart is one virtual host of a route configuration as encoded: its
// virtual_hosts field and the field's hash.
type vhostPart struct {
	wire []byte
	sum  vhostSum
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
// numerous resources, are sent as bytes encoded once per entry (the
// partial cache sends them). A cluster load assignment is served
// pre-encoded: the message holds its name and carries every other field as
// its unknown fields, which proto marshalling copies verbatim. The virtual
// hosts of a route configuration are encoded one by one and kept with its
// entry, so that a route configuration whose virtual hosts are the
// previous one's with a few replaced encodes those few (see vhostsOf), and
// its encoding is sent in parts, never joined (see
// encodeRouteConfiguration).
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
	en, err := encode(r, nil, nil)
	if err != nil {
		return nil, err
	}
	byMsg[r] = en
	return en, nil
}

// encode returns the entry of r; prev, when not nil, is the previous entry
// of the same name, whose encoded parts are reused for the same messages,
// and vhosts (nil: none) the virtual hosts other route configurations of
// the same content encoded (see vhostIndex).
func encode(r types.Resource, prev *entry, vhosts vhostIndex) (*entry, error) {
	var served types.Resource
	var wire []byte
	var err error
	switch m := r.(type) {
	case *routev3.RouteConfiguration:
		return encodeRouteConfiguration(m, prev, vhosts)
	case *endpointv3.ClusterLoadAssignment:
		served, wire, err = preEncoded(m, claNameField)
	default:
		served = r
		wire, err = deterministic.Marshal(served)
	}
	if err != nil {
		return nil, fmt.Errorf("encoding %q: %w", cachev3.GetResourceName(r), err)
	}
	en := &entry{name: cachev3.GetResourceName(r), input: r}
	if served != r {
		en.extra = &entryExtra{served: served}
	}
	en.version = versionOf(wire, chunked.List[vhostPart]{})
	switch r.(type) {
	case *tlsv3.Secret, *endpointv3.ClusterLoadAssignment: // sent as their bytes
		en.wire = wire
	}
	en.sum = entrySum(en.name, en.version)
	return en, nil
}

// encodeRouteConfiguration returns the entry of rc: its fields but
// virtual_hosts encoded (its name first), then the encoded virtual_hosts
// field of each virtual host (see vhostsOf), served as a parted Any whose
// parts are the runs of those bytes that are consecutive in memory (see
// runsOf). The bytes are never joined: a change of one virtual host among
// thousands encodes that one and sends the rest from the buffers that hold
// them, where a joined encoding would copy megabytes per change. The
// served message is rc itself (the partial cache sends the parted Any; the
// snapshot caches, which do not serve route configurations, read its name).
func encodeRouteConfiguration(rc *routev3.RouteConfiguration, prev *entry, others vhostIndex) (*entry, error) {
	head, err := headOf(rc)
	if err != nil {
		return nil, fmt.Errorf("encoding %q: %w", rc.GetName(), err)
	}
	vhosts, err := vhostsOf(rc, prev, others)
	if err != nil {
		return nil, fmt.Errorf("encoding %q: %w", rc.GetName(), err)
	}
	runs := runsOf(vhosts)
	if len(runs) > maxRuns {
		vhosts = compacted(vhosts, rc.GetVirtualHosts(), others)
		runs = runsOf(vhosts)
	}
	en := &entry{name: rc.GetName(), input: rc, wire: head, extra: &entryExtra{
		value:  newPartedAny(resourcev3.RouteType, append([][]byte{head}, runs...)),
		vhosts: vhosts,
	}}
	en.version = versionOf(head, vhosts)
	en.sum = entrySum(en.name, en.version)
	return en, nil
}

// maxRuns is how many runs of consecutive bytes a route configuration's
// virtual hosts may be sent as before they are copied into one buffer
// again. Each change of a virtual host in the middle adds up to two runs;
// the copy, once every few dozen changes, bounds the number of buffers a
// response is made of and the old buffers kept alive by a few slices.
const maxRuns = 128

// versionOf returns the version of a resource encoded as wire, followed,
// for a route configuration, by its encoded virtual hosts, whose hashes
// are in vhosts: a hash of wire and of those hashes, so that a change of a
// few virtual hosts hashes those few, not megabytes. Either way the version
// changes with the bytes.
func versionOf(wire []byte, vhosts chunked.List[vhostPart]) string {
	h := sha256.New()
	h.Write(wire)
	for _, part := range vhosts.All() {
		h.Write(part.sum[:])
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// preEncoded returns a new message of m's type holding m's name field,
// with every other field of m encoded as its unknown fields, and the
// served message's deterministic encoding (its name field, then its unknown
// fields), without encoding it again: the bytes are built once, in one
// buffer, the unknown fields being its end. A message already so (its name
// field and unknown fields only: the xDS translator's compact assignments)
// is served as it is, with its encoding made from its fields' bytes.
func preEncoded(m proto.Message, name protoreflect.FieldDescriptor) (types.Resource, []byte, error) {
	src := m.ProtoReflect()
	if onlyField(src, name) {
		return m, appendNamed(nil, name, src.Get(name).String(), src.GetUnknown()), nil
	}
	b, err := deterministic.Marshal(without(m, name))
	if err != nil {
		return nil, nil, err
	}
	wire := appendNamed(nil, name, src.Get(name).String(), b)
	served := src.Type().New()
	served.Set(name, src.Get(name))
	served.SetUnknown(wire[len(wire)-len(b):])
	return served.Interface(), wire, nil
}

// onlyField reports whether m has no field set but f (unknown fields aside).
func onlyField(m protoreflect.Message, f protoreflect.FieldDescriptor) bool {
	only := true
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		only = fd == f
		return only
	})
	return only
}

// appendNamed appends to b the deterministic encoding of a message whose
// string field f is n (omitted when empty) and whose other fields encode
// as rest, in one allocation.
func appendNamed(b []byte, f protoreflect.FieldDescriptor, n string, rest []byte) []byte {
	b = slices.Grow(b, protowire.SizeTag(f.Number())+protowire.SizeBytes(len(n))+len(rest))
	if n != "" {
		b = protowire.AppendString(protowire.AppendTag(b, f.Number(), protowire.BytesType), n)
	}
	return append(b, rest...)
}

// headOf returns the encoding of rc's fields but virtual_hosts: its name
// first, then the others (and its unknown fields: a message the translator
// made compact).
func headOf(rc *routev3.RouteConfiguration) ([]byte, error) {
	rest, err := deterministic.Marshal(without(without(rc, rcNameField), vhostsField))
	if err != nil {
		return nil, err
	}
	var head []byte
	if n := rc.GetName(); n != "" {
		head = protowire.AppendString(protowire.AppendTag(nil, rcNameField.Number(), protowire.BytesType), n)
	}
	return append(head, rest...), nil
}

// Fields of the pre-encoded resources.
var (
	rcNameField  = (&routev3.RouteConfiguration{}).ProtoReflect().Descriptor().Fields().ByName("name")
	vhostsField  = (&routev3.RouteConfiguration{}).ProtoReflect().Descriptor().Fields().ByName("virtual_hosts")
	claNameField = (&endpointv3.ClusterLoadAssignment{}).ProtoReflect().Descriptor().Fields().ByName("cluster_name")
)

// vhostsOf returns the encoded virtual_hosts fields of rc, one per
// virtual host, with their hashes, taking those of the same messages from
// prev, the previous entry of rc's name (nil: none), or from others. The
// virtual hosts before and after the run where rc's differ from prev's
// keep prev's parts, in prev's chunks (see chunked.List.Replace); those of
// the run are looked up among the run of prev's, then in others, or
// encoded, one after the other into one new buffer, and added to others.
// Each part is a slice of the buffer holding it that extends to that
// buffer's end (see runsOf); parts are never modified.
func vhostsOf(rc *routev3.RouteConfiguration, prev *entry, others vhostIndex) (chunked.List[vhostPart], error) {
	vhs := rc.GetVirtualHosts()
	var old []*routev3.VirtualHost
	var parts chunked.List[vhostPart]
	if prevRC, ok := prev.inputOrNil().(*routev3.RouteConfiguration); ok {
		old, parts = prevRC.GetVirtualHosts(), prev.extra.vhosts
	}
	p, s := sliceends.Common(old, vhs)
	if p+s == len(old) && len(old) == len(vhs) {
		return parts, nil
	}
	var inRun map[*routev3.VirtualHost]int
	if len(old)-s > p {
		inRun = make(map[*routev3.VirtualHost]int, len(old)-s-p)
		for i := p; i < len(old)-s; i++ {
			inRun[old[i]] = i
		}
	}
	run := make([]vhostPart, len(vhs)-s-p)
	var buf []byte
	var encoded []int // the indexes in run of the virtual hosts encoded into buf, and their ends in it
	for i := range run {
		vh := vhs[p+i]
		if j, ok := inRun[vh]; ok {
			run[i] = parts.At(j)
			continue
		}
		if part, ok := others[vh]; ok {
			run[i] = part
			continue
		}
		start := len(buf)
		var err error
		if buf, err = appendVhost(buf, vh); err != nil {
			return chunked.List[vhostPart]{}, err
		}
		full := sha256.Sum256(buf[start:])
		run[i].sum = vhostSum(full[:len(vhostSum{})])
		encoded = append(encoded, i, len(buf))
	}
	start := 0
	for k := 0; k < len(encoded); k += 2 {
		run[encoded[k]].wire = buf[start:encoded[k+1]]
		start = encoded[k+1]
		others.add(vhs[p+encoded[k]], run[encoded[k]])
	}
	return parts.Replace(p, len(old)-s, run...), nil
}

// vhostIndex is the encoded virtual hosts of the route configurations of
// one content, by message: the translator gives configurations of the
// same routes (two listeners of a Gateway on two ports, say) the same
// virtual host messages, whose bytes are then held once. Only the virtual
// hosts a configuration encodes or compacts are added (at the first
// update, all of them; then those of a change, and all of them at a
// compaction).
type vhostIndex map[*routev3.VirtualHost]vhostPart

// add records the encoded part of vh; a nil index records nothing.
func (x vhostIndex) add(vh *routev3.VirtualHost, part vhostPart) {
	if x != nil {
		x[vh] = part
	}
}

// runsOf returns the wire of parts as runs of consecutive bytes: each part
// that starts where the one before it ends, in the same buffer, extends
// that run. Parts are slices of buffers that extend to their buffer's end,
// so one that follows another is found by address, within the capacity of
// the one before.
func runsOf(parts chunked.List[vhostPart]) [][]byte {
	var runs [][]byte
	for _, part := range parts.All() {
		if n := len(runs); n > 0 && follows(runs[n-1], part.wire) {
			runs[n-1] = runs[n-1][:len(runs[n-1])+len(part.wire)]
			continue
		}
		runs = append(runs, part.wire)
	}
	return runs
}

// follows reports whether b starts where a ends, within a's buffer.
func follows(a, b []byte) bool {
	return len(b) > 0 && cap(a)-len(a) >= len(b) && &a[:len(a)+1][len(a)] == &b[0]
}

// compacted returns parts, the encodings of vhs, with their wire copied
// into one new buffer, in order (and the same chunks: see chunked.Map),
// but for the virtual hosts others has: another route configuration of
// the content encoded or compacted them, and its parts are taken (the
// configurations of the same routes compact at the same changes, and
// then share the new buffer as they shared the old ones). The parts it
// copies are added to others.
func compacted(parts chunked.List[vhostPart], vhs []*routev3.VirtualHost, others vhostIndex) chunked.List[vhostPart] {
	size := 0
	for i, part := range parts.All() {
		if _, ok := others[vhs[i]]; !ok {
			size += len(part.wire)
		}
	}
	buf := make([]byte, 0, size)
	i := 0
	return chunked.Map(parts, func(part vhostPart) vhostPart {
		vh := vhs[i]
		i++
		if shared, ok := others[vh]; ok {
			return shared
		}
		start := len(buf)
		buf = append(buf, part.wire...)
		copied := vhostPart{wire: buf[start:], sum: part.sum}
		others.add(vh, copied)
		return copied
	})
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

// appendVhost appends the encoded virtual_hosts field holding vh to b.
func appendVhost(b []byte, vh *routev3.VirtualHost) ([]byte, error) {
	b = protowire.AppendTag(b, vhostsField.Number(), protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(deterministic.Size(vh)))
	b, err := deterministicSized.MarshalAppend(b, vh)
	if err != nil {
		return nil, fmt.Errorf("virtual host %q: %w", vh.GetName(), err)
	}
	return b, nil
}

// deterministicSized marshals a message whose sizes deterministic.Size
// has just computed (and cached in it).
var deterministicSized = proto.MarshalOptions{Deterministic: true, UseCachedSize: true}
