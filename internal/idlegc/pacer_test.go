package idlegc

import (
	"slices"
	"testing"
)

const mb = 1 << 20

// at is a reading of a heap whose last cycle marked 300 MB live and whose
// goal is 600 MB: the lowest trigger is at 300 + 300*45/64, about 510.9 MB
// of heap.
func at(cycles, allocs, objects uint64) reading {
	return reading{cycles: cycles, allocs: allocs, live: 300 * mb, goal: 600 * mb, objects: objects}
}

// every are readings step MB apart from allocs 1000 MB, in cycle 1: the
// heap is 300 MB at the first, 300 + step*i MB at the i-th.
func every(step uint64, n int) []reading {
	rs := make([]reading, 0, n)
	for i := range uint64(n) {
		rs = append(rs, at(1, 1000*mb+i*step*mb, 300*mb+i*step*mb))
	}
	return rs
}

func every10MB(n int) []reading { return every(10, n) }

// afterQuietCycle are readings 10 MB apart from a heap of 310 MB in cycle
// 2, which ended after 800 MB were allocated without a change: counted
// from the reading before it, the heap would be over 1,100 MB.
func afterQuietCycle(n int) []reading {
	rs := make([]reading, 0, 1+n)
	rs = append(rs, at(1, 1000*mb, 300*mb))
	for i := range n {
		rs = append(rs, at(2, 1810*mb+uint64(i)*10*mb, 310*mb+uint64(i)*10*mb))
	}
	return rs
}

// pacerCase is readings given to a pacer in order, and the indexes of
// those that should ask for a collection.
type pacerCase struct {
	name     string
	readings []reading
	want     []int
}

func runPacerCases(t *testing.T, tests []pacerCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p pacer
			var got []int
			for i, r := range tt.readings {
				if p.observe(r) {
					got = append(got, i)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("readings asking for a collection = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPacerObserveWindow checks when a heap the readings give asks for a
// collection: in the window below the guard, never past it.
func TestPacerObserveWindow(t *testing.T) {
	runPacerCases(t, []pacerCase{{
		name:     "the first reading only sets the base",
		readings: []reading{at(1, 5000*mb, 400*mb)},
	}, {
		name: "within the guard and twice the last change of the lowest trigger, and not within the guard",
		// The guard is a 16th of the way, 18.75 MB: the window is from
		// 472.2 to 492.2 MB of heap. At 470 it is not reached; 500 and
		// 510 are within the guard of the trigger, where the runtime may
		// start its own cycle first; at 520 a cycle may be running. (Had
		// the collection asked at 480 run, the reading at 490 would see a
		// cycle ended.)
		readings: every10MB(24),
		want:     []int{18, 19},
	}, {
		name: "changes smaller than half the guard",
		// 2 MB changes: the window is from 488.2 to 492.2 MB, the heap at
		// 490 and 492 MB.
		readings: every(2, 110),
		want:     []int{95, 96},
	}, {
		name: "a change as large as the way left asks at once",
		// A 150 MB change, then the heap at 450 MB.
		readings: []reading{at(1, 1000*mb, 300*mb), at(1, 1150*mb, 450*mb)},
		want:     []int{1},
	}, {
		name:     "no allocation since the last reading",
		readings: append(every10MB(20), at(1, 1000*mb+190*mb, 490*mb)),
		want:     []int{18, 19},
	}, {
		name:     "no collection planned (GOGC=off)",
		readings: []reading{{cycles: 1, allocs: 1000 * mb, live: 300 * mb, goal: ^uint64(0), objects: 300 * mb}, {cycles: 1, allocs: 1100 * mb, live: 300 * mb, goal: ^uint64(0), objects: 400 * mb}},
	}, {
		name:     "goal not above the live heap",
		readings: []reading{{cycles: 1, allocs: 1000 * mb, live: 300 * mb, goal: 300 * mb, objects: 300 * mb}, {cycles: 1, allocs: 1001 * mb, live: 300 * mb, goal: 300 * mb, objects: 301 * mb}},
	}})
}

// TestPacerObserveHeapEstimate checks the heap the readings give: from
// the allocation since the reading before a cycle end, bounded by the
// objects, and the objects alone before a cycle end is seen.
func TestPacerObserveHeapEstimate(t *testing.T) {
	runPacerCases(t, []pacerCase{{
		name: "before a cycle end is seen, the objects alone count",
		// The first reading comes 100 MB after the last cycle ended (a
		// load's end): counted from it, the heap would be 100 MB under.
		// The objects are 480 MB at reading 8, 490 at 9.
		readings: func() []reading {
			rs := every10MB(25)
			for i := range rs {
				rs[i].objects += 100 * mb
			}
			return rs[:15]
		}(),
		want: []int{8, 9},
	}, {
		name: "a completed cycle moves the base to the reading before it",
		// The reading that sees cycle 2 counts the heap from the reading
		// before, 20 MB: far from the trigger again.
		readings: append(every10MB(18), at(2, 1000*mb+180*mb, 480*mb), at(2, 1000*mb+190*mb, 320*mb)),
	}, {
		name: "the objects bound the heap when a cycle ended long after the last reading",
		// Heap 310 MB at reading 1, 480 MB at 18, 490 MB at 19.
		readings: afterQuietCycle(24),
		want:     []int{18, 19},
	}, {
		name: "unswept garbage counts no more than what was allocated since",
		// After a cycle end seen (the first reading is in cycle 0), the
		// heap is 300 MB, then 10 MB more a reading. At the last, the
		// objects (1,000 MB) are above any trigger; the heap counted from
		// the base is 490 MB.
		readings: append(append([]reading{at(0, 1000*mb, 300*mb)}, every10MB(19)...), at(1, 1000*mb+190*mb, 1000*mb)),
		want:     []int{19, 20},
	}})
}
