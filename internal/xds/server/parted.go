package server

import (
	"bytes"
	"runtime"
	"sync"
	"weak"

	"google.golang.org/protobuf/types/known/anypb"
)

// A parted Any is an Any message whose value is held in parts, in order,
// never joined: a route configuration of 10,000 virtual hosts is
// megabytes, and a change of one virtual host would otherwise copy them
// all into a new buffer (see encodeRouteConfiguration). Its Value field is
// empty; the server's codec sends the parts in its place (see
// responseCodec), and valueOf joins them for the rare reader of the whole
// value (a NACK's routes). Sent by any other codec, the message would
// carry an empty value: a nameless resource, which a proxy rejects, not
// one it would take for an empty configuration.
//
// The parts are found by the message's address, held weakly: they are
// forgotten once the message is garbage.
var partedValues sync.Map // weak.Pointer[anypb.Any] -> *partedValue

type partedValue struct {
	parts [][]byte
	size  int
}

// newPartedAny returns a parted Any of type typeURL whose value is parts,
// in order. The parts are never modified afterwards.
func newPartedAny(typeURL string, parts [][]byte) *anypb.Any {
	a := &anypb.Any{TypeUrl: typeURL}
	key := weak.Make(a)
	partedValues.Store(key, &partedValue{parts: parts, size: totalLen(parts)})
	runtime.AddCleanup(a, func(key weak.Pointer[anypb.Any]) { partedValues.Delete(key) }, key)
	return a
}

// partsOf returns the parts of a's value and their total length when a is
// a parted Any.
func partsOf(a *anypb.Any) ([][]byte, int, bool) {
	if a == nil || len(a.GetValue()) > 0 {
		return nil, 0, false
	}
	v, ok := partedValues.Load(weak.Make(a))
	if !ok {
		return nil, 0, false
	}
	p := v.(*partedValue)
	return p.parts, p.size, true
}

// valueOf returns a's value, joined when a is a parted Any.
func valueOf(a *anypb.Any) []byte {
	if parts, _, ok := partsOf(a); ok {
		return bytes.Join(parts, nil)
	}
	return a.GetValue()
}

// leadingBytes returns the first bytes of a's value (at least the first
// field of a served resource: its name), without joining a parted value.
func leadingBytes(a *anypb.Any) []byte {
	if parts, _, ok := partsOf(a); ok && len(parts) > 0 {
		return parts[0]
	}
	return a.GetValue()
}
