package idlegc

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeHeap is the heap memory readings of a restCollector: the test sets
// held, live and allocs; a return of memory sets held to the live heap
// and 20 MB of unused room.
type fakeHeap struct {
	heapMemory
	returned int
}

func restCollector(t *testing.T) (*Collector, *fakeHeap) {
	t.Helper()
	c := New()
	c.collect = func() { t.Fatal("an idle collection was started") }
	h := &fakeHeap{}
	c.readMemory = func() heapMemory { return h.heapMemory }
	c.returnMemory = func() {
		h.returned++
		h.held = h.live + 20*mb
	}
	return c, h
}

// restStep is a look at rest: the heap held then, what was allocated
// since the last look, and whether the look returns memory.
type restStep struct {
	name       string
	held       uint64
	allocated  uint64
	wantReturn bool
}

// checkSteps takes the looks of steps in turn, failing at the first that
// does not return memory as it should.
func checkSteps(t *testing.T, c *Collector, h *fakeHeap, steps []restStep) {
	t.Helper()
	for _, s := range steps {
		h.held, h.allocs = s.held, h.allocs+s.allocated
		before := h.returned
		c.checkRest()
		if got := h.returned > before; got != s.wantReturn {
			t.Fatalf("%s (held %d MB): returned %v, want %v", s.name, s.held/mb, got, s.wantReturn)
		}
	}
}

// TestCollectorReturnsMemoryAtRestOnceTheHeapGrew follows a load and
// changes: a look at rest (under 1 MiB allocated since the last look)
// returns memory when the heap held grew by an eighth of the live heap
// (31.25 MB of 250) since the last return; a look during work does not,
// nor does the first look (no allocation count to compare).
func TestCollectorReturnsMemoryAtRestOnceTheHeapGrew(t *testing.T) {
	c, h := restCollector(t)
	h.live = 250 * mb
	checkSteps(t, c, h, []restStep{
		{"first look, in the load", 300 * mb, 0, false},
		{"loading", 450 * mb, 150 * mb, false},
		{"at rest after the load", 520 * mb, 100 << 10, true}, // 0 + 31.25 MB reached
		{"at rest, nothing since", 270 * mb, 0, false},        // held as after the return
		{"a change", 290 * mb, 4 * mb, false},
		{"at rest, 30 MB grown", 300 * mb, 0, false},     // 270 + 31.25 not reached
		{"a change", 302 * mb, 4 * mb, false},            // grown enough, but working
		{"at rest, an eighth grown", 302 * mb, 0, true},  // reached
		{"at rest after the return", 270 * mb, 0, false}, // nothing grown
	})
	if got := testutil.ToFloat64(c.returns); got != 2 {
		t.Fatalf("envoy_gateway_memory_returns_total = %v, want 2", got)
	}
	if c.running {
		t.Fatal("still marked running after returning memory")
	}
}

// TestCollectorLeavesMemoryWhileItsCollectionRuns: at rest while an idle
// collection of its own runs, the Collector does not collect a second
// time; it returns memory at a look after the collection, and starts no
// idle collection while it does.
func TestCollectorLeavesMemoryWhileItsCollectionRuns(t *testing.T) {
	c, h := restCollector(t)
	h.live, h.held = 250*mb, 520*mb
	c.checkRest() // the first look
	c.mu.Lock()
	c.running = true
	c.mu.Unlock()
	c.checkRest()
	if h.returned != 0 {
		t.Fatalf("returned %d times while a collection ran, want 0", h.returned)
	}
	c.finish()
	// While the return runs, a change that asks for an idle collection
	// gets none.
	var r reading
	c.read = func() reading {
		r = reading{cycles: 1, allocs: r.allocs + 10*mb, live: 300 * mb, goal: 332 * mb, objects: 310 * mb}
		return r
	}
	c.AfterChange() // the first reading sets the base
	returnMemory := c.returnMemory
	c.returnMemory = func() {
		if c.start() {
			t.Error("an idle collection started while memory was being returned")
		}
		returnMemory()
	}
	c.checkRest()
	if h.returned != 1 {
		t.Fatalf("returned %d times once the collection ended, want 1", h.returned)
	}
}

// TestCollectorReturnsAtLeastSixteenMebibytes: on a small heap, a return
// needs 16 MiB of growth, not an eighth of the live heap (2.5 MB of 20).
func TestCollectorReturnsAtLeastSixteenMebibytes(t *testing.T) {
	c, h := restCollector(t)
	h.live = 20 * mb
	checkSteps(t, c, h, []restStep{
		{"first look", 30 * mb, 0, false},
		{"at rest, 30 MB held", 30 * mb, 0, true}, // 0 + 16 MiB reached; 40 MB held after
		{"at rest, 16 MiB less a byte grown", 40*mb + restMinGrowth - 1, 0, false},
		{"at rest, 16 MiB grown", 40*mb + restMinGrowth, 0, true},
	})
}

// TestReturnMemoryAtRestLooksEachTick runs the loop on a fake ticker:
// each tick is a look, and the loop ends with its context.
func TestReturnMemoryAtRestLooksEachTick(t *testing.T) {
	c, h := restCollector(t)
	h.live, h.held = 250*mb, 520*mb
	ticks := make(chan time.Time)
	stopped := make(chan struct{})
	c.ticker = func(d time.Duration) (<-chan time.Time, func()) {
		if d != RestCheck {
			t.Errorf("ticker period %v, want %v", d, RestCheck)
		}
		return ticks, func() { close(stopped) }
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- c.ReturnMemoryAtRest(ctx) }()
	ticks <- time.Time{} // the first look
	ticks <- time.Time{} // at rest: a return
	ticks <- time.Time{} // the unbuffered send waited for the last look to begin
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-stopped
	if h.returned != 1 {
		t.Fatalf("returned %d times, want 1", h.returned)
	}
}

// TestReadMemoryReadsTheRuntime checks the runtime's figures make sense:
// the heap held covers the live heap and what is kept, and allocating
// counts.
func TestReadMemoryReadsTheRuntime(t *testing.T) {
	before := readMemory()
	keep := make([][]byte, 0, 64)
	for range 64 {
		keep = append(keep, make([]byte, 64<<10))
	}
	m := readMemory()
	if m.held < 4<<20 || m.held < m.live || m.allocs < before.allocs+4<<20 {
		t.Fatalf("held %d bytes, live %d, allocated %d since: the 4 MiB kept are not covered", m.held, m.live, m.allocs-before.allocs)
	}
	_ = keep[63]
}
