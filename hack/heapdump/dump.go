package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// The records of a heap dump ("go1.7 heap dump", runtime/heapdump.go):
// unsigned varints, strings as a length and bytes, field lists as kind and
// offset pairs ending with kind 0.
const (
	tagEOF = iota
	tagObject
	tagOtherRoot
	tagType
	tagGoroutine
	tagStackFrame
	tagParams
	tagFinalizer
	tagItab
	tagOSThread
	tagMemStats
	tagQueuedFinalizer
	tagData
	tagBSS
	tagDefer
	tagPanic
	tagMemProf
	tagAllocSample
)

const header = "go1.7 heap dump\n"

// object is a heap object: its address and its size class's size.
type object struct{ addr, size uint64 }

// dump is what heapdump reads of a heap dump.
type dump struct {
	objects []object
	// stacks are the memory profile's stacks (function names, innermost
	// first) by bucket, samples the bucket of each sampled object.
	stacks  map[uint64][]string
	samples map[uint64]uint64
	// memStats are the runtime.MemStats fields in the dump's order.
	memStats []uint64
}

func readDump(path string) (*dump, error) {
	r, f, err := newReader(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only
	if h := r.bytes(len(header)); r.err == nil && string(h) != header {
		return nil, fmt.Errorf("%s: not a heap dump (%q)", path, h)
	}
	d := &dump{stacks: map[uint64][]string{}, samples: map[uint64]uint64{}}
	for r.err == nil {
		tag := r.uvarint()
		if tag == tagEOF || r.err != nil {
			break
		}
		if err := d.record(r, tag); err != nil {
			return nil, err
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("%s: %w", path, r.err)
	}
	return d, nil
}

// record reads the record of tag, keeping what heapdump reports on.
func (d *dump) record(r *reader, tag uint64) error {
	switch tag {
	case tagObject:
		addr := r.uvarint()
		size := r.uvarint()
		r.skip(size)
		r.fields()
		d.objects = append(d.objects, object{addr, size})
	case tagMemProf:
		d.memProf(r)
	case tagAllocSample:
		addr := r.uvarint()
		d.samples[addr] = r.uvarint()
	case tagMemStats:
		for range 24 + 256 + 1 {
			d.memStats = append(d.memStats, r.uvarint())
		}
	default:
		return skipRecord(r, tag)
	}
	return nil
}

// memProf reads a memory profile bucket: its stack's function names.
func (d *dump) memProf(r *reader) {
	bucket := r.uvarint()
	r.uvarint() // size
	frames := r.uvarint()
	stack := make([]string, 0, frames)
	for range frames {
		stack = append(stack, r.str())
		r.str()     // file
		r.uvarint() // line
	}
	r.uvarint() // allocs
	r.uvarint() // frees
	d.stacks[bucket] = stack
}

// skipRecord reads past a record heapdump does not use.
func skipRecord(r *reader, tag uint64) error {
	switch tag {
	case tagOtherRoot:
		r.str()
		r.uvarint()
	case tagType:
		r.uvarints(2)
		r.str()
		r.uvarint()
	case tagGoroutine:
		r.uvarints(8)
		r.str()
		r.uvarints(4)
	case tagStackFrame:
		r.uvarints(3)
		r.skip(r.uvarint())
		r.uvarints(3)
		r.str()
		r.fields()
	case tagParams:
		r.uvarints(4)
		r.str()
		r.str()
		r.uvarint()
	case tagFinalizer, tagQueuedFinalizer:
		r.uvarints(5)
	case tagItab:
		r.uvarints(2)
	case tagOSThread:
		r.uvarints(3)
	case tagData, tagBSS:
		r.uvarint()
		r.skip(r.uvarint())
		r.fields()
	case tagDefer:
		r.uvarints(7)
	case tagPanic:
		r.uvarints(6)
	default:
		return fmt.Errorf("unknown record tag %d", tag)
	}
	return nil
}

// reader reads a dump's values; its first error sticks.
type reader struct {
	r   *bufio.Reader
	err error
}

func (r *reader) uvarint() uint64 {
	var x uint64
	for shift := uint(0); r.err == nil; shift += 7 {
		b, err := r.r.ReadByte()
		if err != nil {
			r.fail(err)
			return 0
		}
		x |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return x
		}
	}
	return 0
}

func (r *reader) uvarints(n int) {
	for range n {
		r.uvarint()
	}
}

func (r *reader) bytes(n int) []byte {
	b := make([]byte, n)
	if r.err == nil {
		if _, err := io.ReadFull(r.r, b); err != nil {
			r.fail(err)
		}
	}
	return b
}

func (r *reader) str() string { return string(r.bytes(int(r.uvarint()))) }

func (r *reader) skip(n uint64) {
	if r.err == nil {
		if _, err := r.r.Discard(int(n)); err != nil {
			r.fail(err)
		}
	}
}

// fields reads past a field list.
func (r *reader) fields() {
	for r.err == nil && r.uvarint() != 0 {
		r.uvarint()
	}
}

func (r *reader) fail(err error) {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	r.err = err
}
