package idlegc

import (
	"runtime"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestCollectorStartsOneCollectionAtATime drives a Collector with readings
// that each ask for a collection: while the one it started runs, it starts
// no other; once it has ended, the next reading that asks starts one.
func TestCollectorStartsOneCollectionAtATime(t *testing.T) {
	c := New()
	var r reading
	c.read = func() reading {
		// The last reading was 10 MB ago and the heap is 310 MB (no cycle
		// counted since: the collections are fakes), under the lowest
		// trigger (322.5 MB) by less than twice 10 MB.
		r = reading{cycles: 1, allocs: r.allocs + 10*mb, live: 300 * mb, goal: 332 * mb, objects: 310 * mb}
		return r
	}
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	c.collect = func() {
		started <- struct{}{}
		<-release
	}
	// expectStarted fails unless n collections were started (counted
	// before the collection's goroutine runs), then waits for the last.
	expectStarted := func(n float64) {
		t.Helper()
		if got := testutil.ToFloat64(c.started); got != n {
			t.Fatalf("collections started = %v, want %v", got, n)
		}
		<-started
	}
	c.AfterChange() // the first reading sets the base
	c.AfterChange()
	expectStarted(1)
	c.AfterChange() // while the collection runs
	if got := testutil.ToFloat64(c.started); got != 1 {
		t.Fatalf("collections started while one runs = %v, want 1", got)
	}
	release <- struct{}{}
	waitIdle(c)
	c.AfterChange()
	expectStarted(2)
	release <- struct{}{}
	waitIdle(c)
}

// waitIdle waits until c's collection has ended.
func waitIdle(c *Collector) {
	for {
		c.mu.Lock()
		running := c.running
		c.mu.Unlock()
		if !running {
			return
		}
		runtime.Gosched()
	}
}

// TestCollectNowIfDueCollectsInTheCaller checks the blocking variant: it
// collects, before returning, when the next change would start a cycle,
// and not otherwise.
func TestCollectNowIfDueCollectsInTheCaller(t *testing.T) {
	c := New()
	var r reading
	live := uint64(300 * mb)
	c.read = func() reading {
		// 10 MB a change, no cycle ending: the heap grows from 300 MB
		// toward the lowest trigger (322.5 MB).
		r = reading{cycles: 1, allocs: r.allocs + 10*mb, live: live, goal: 332 * mb}
		r.objects = live + r.allocs - 10*mb
		return r
	}
	collected := 0
	c.collect = func() { collected++ }
	got := []bool{}
	for range 3 {
		got = append(got, c.CollectNowIfDue())
	}
	// The first reading sets the base (300 MB); the second sees 310 MB,
	// within the guard (0.5 MB) and twice 10 MB of 322.5; the third
	// 320 MB, within again.
	if want := []bool{false, true, true}; !slices.Equal(got, want) || collected != 2 {
		t.Fatalf("collected %v (%d times), want %v", got, collected, want)
	}
	if c.running {
		t.Fatal("still marked running after collecting")
	}
	if got := testutil.ToFloat64(c.started); got != 2 {
		t.Fatalf("collections started = %v, want 2", got)
	}
}
