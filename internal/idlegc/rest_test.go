package idlegc

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeRest stands for the rest timer: fire runs what the timer would run
// RestAfter after the last change.
type fakeRest struct {
	created, resets int
	fire            func()
}

func (f *fakeRest) Reset(d time.Duration) bool {
	if d != RestAfter {
		panic("the rest timer is reset to " + d.String())
	}
	f.resets++
	return true
}

// restCollector is a Collector whose idle collections are never due,
// with a fake rest timer and heap memory readings taken from *held and
// *live.
func restCollector(t *testing.T, held, live *uint64) (*Collector, *fakeRest, *int) {
	t.Helper()
	c := newTestCollector()
	c.read = func() reading { return reading{} } // no goal: no idle collection
	c.collect = func() { t.Fatal("an idle collection was started") }
	timer := &fakeRest{}
	c.afterFunc = func(d time.Duration, f func()) restTimer {
		if d != RestAfter {
			t.Fatalf("the rest timer waits %v, want %v", d, RestAfter)
		}
		timer.created++
		timer.fire = f
		return timer
	}
	c.readMemory = func() heapMemory { return heapMemory{held: *held, live: *live} }
	returned := 0
	c.returnMemory = func() {
		returned++
		*held = *live + 20*mb // the free pages returned; unused room stays
	}
	return c, timer, &returned
}

// TestCollectorReturnsMemoryAtRestOnceTheHeapGrew follows a load and
// changes: each change waits for rest again on the one timer; at rest,
// memory is returned when the heap held grew by an eighth of the live heap
// (31.25 MB of 250) since the last return, and not otherwise.
func TestCollectorReturnsMemoryAtRestOnceTheHeapGrew(t *testing.T) {
	held, live := uint64(520*mb), uint64(250*mb)
	c, timer, returned := restCollector(t, &held, &live)
	c.AfterChange() // the load reached the proxies
	c.AfterChange()
	if timer.created != 1 || timer.resets != 1 {
		t.Fatalf("timer created %d times and reset %d, want once and once", timer.created, timer.resets)
	}
	steps := []struct {
		name       string
		held       uint64
		wantReturn bool
	}{
		{"after the load", 520 * mb, true},                  // 0 + 31.25 MB reached
		{"nothing allocated since", 270 * mb, false},        // held as after the return
		{"30 MB more", 300 * mb, false},                     // 270 + 31.25 not reached
		{"an eighth of the live heap more", 302 * mb, true}, // reached
	}
	for _, s := range steps {
		held = s.held
		before := *returned
		timer.fire()
		if got := *returned > before; got != s.wantReturn {
			t.Fatalf("%s (held %d MB): returned %v, want %v", s.name, held/mb, got, s.wantReturn)
		}
	}
	if got := testutil.ToFloat64(c.returns); got != 2 {
		t.Fatalf("envoy_gateway_memory_returns_total = %v, want 2", got)
	}
	if c.running {
		t.Fatal("still marked running after returning memory")
	}
}

// TestCollectorWaitsForItsCollectionBeforeReturningMemory: at rest while
// an idle collection of its own runs, the Collector waits for rest again
// instead of collecting a second time.
func TestCollectorWaitsForItsCollectionBeforeReturningMemory(t *testing.T) {
	held, live := uint64(520*mb), uint64(250*mb)
	c, timer, returned := restCollector(t, &held, &live)
	c.AfterChange()
	c.mu.Lock()
	c.running = true
	c.mu.Unlock()
	timer.fire()
	if *returned != 0 || timer.resets != 1 {
		t.Fatalf("returned %d times and reset the timer %d times, want 0 and 1", *returned, timer.resets)
	}
	c.finish()
	timer.fire()
	if *returned != 1 {
		t.Fatalf("returned %d times once the collection ended, want 1", *returned)
	}
}

// TestCollectorReturnsAtLeastSixteenMebibytes: on a small heap, a return
// needs 16 MiB of growth, not an eighth of the live heap.
func TestCollectorReturnsAtLeastSixteenMebibytes(t *testing.T) {
	held, live := uint64(30*mb), uint64(20*mb)
	c, timer, returned := restCollector(t, &held, &live)
	c.AfterChange()
	timer.fire() // 30 MB >= 16 MiB since nothing
	held = 40 * mb
	timer.fire() // 40 - 40 (after the return) < 16 MiB
	held = 40*mb + restMinGrowth
	timer.fire()
	if *returned != 2 {
		t.Fatalf("returned %d times, want 2", *returned)
	}
}

// TestReadMemoryReadsTheRuntime checks the runtime's figures make sense:
// the heap held covers the live heap.
func TestReadMemoryReadsTheRuntime(t *testing.T) {
	keep := make([][]byte, 0, 64)
	for range 64 {
		keep = append(keep, make([]byte, 64<<10))
	}
	m := readMemory()
	if m.held < 4<<20 || m.held < m.live {
		t.Fatalf("held %d bytes, live %d: the 4 MiB kept are not covered", m.held, m.live)
	}
	_ = keep[63]
}
