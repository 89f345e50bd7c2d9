package idlegc

// Go's pacer starts a cycle once the heap reaches its trigger, which lies
// between these fractions of the way from the heap marked by the last
// cycle to the heap goal (runtime/mgcpacer.go: triggerRatioDen,
// minTriggerRatioNum).
const (
	triggerRatioDen    = 64
	minTriggerRatioNum = 45 // about 0.7
)

// guardDen sets the guard below the lowest trigger, a guardDen-th of the
// way from the live heap to the goal (about 20 MB at 10,000 routes). The
// heap a reading gives is under the heap the pacer counts, which takes in
// whole spans as they are cached for allocation; a guard of a 64th (5 MB)
// let the runtime's cycle start first in a File run at 10,000 routes
// (session 20), and runtime.GC then ran a whole cycle more.
const guardDen = 16

// reading is the runtime's state after a change.
type reading struct {
	// cycles is the number of collections completed.
	cycles uint64
	// allocs is the heap memory allocated since the process started.
	allocs uint64
	// live is the heap the last cycle marked live; goal is the heap size
	// at which the current cycle is to end.
	live, goal uint64
	// objects is the heap's objects now, live or not, including those of
	// the last cycle's garbage not yet swept.
	objects uint64
}

// pacer predicts, from the readings after each change, whether the next
// change will likely start a collection.
type pacer struct {
	seen bool
	// cycles and allocs are the previous reading's.
	cycles, allocs uint64
	// base is the allocation count when the last completed cycle ended, as
	// far as the readings tell: the reading before the one that saw it
	// complete. The heap since counted from it is over by what was
	// allocated between that reading and the cycle's end: a change's
	// allocation when changes follow each other, but anything allocated
	// without a change (start-up, a resync) when they do not. baseSeen
	// says whether the readings have seen a cycle end: until then there is
	// no base (counted from the first reading, the heap would leave out
	// what was allocated between the last cycle's end and that reading, a
	// load's last tens of megabytes).
	base     uint64
	baseSeen bool
}

// observe takes the reading after a change and reports whether to start
// a collection now: no cycle ended since the last reading (the heap is
// then close to the live heap, and the step since that reading counts
// allocation made before the cycle's end), and the heap is below the
// lowest trigger the pacer may pick by more than a guard (see guardDen),
// but by no more than that guard and twice the last change's allocation.
// Past the trigger a cycle may be running; within the guard the runtime
// may start one before the collection asked for begins, and runtime.GC
// would then finish that cycle and run a whole one more. The window below
// the guard is twice a change wide, so that one reading falls into it
// however small the changes (a window ending at the trigger less the
// guard would be empty for changes under half the guard). The heap is the
// lower of two bounds, each over the heap the pacer counts: the live heap
// plus what was allocated since base, and the heap's objects (over while
// the last cycle's garbage is being swept, right after it); the objects
// alone until the readings have seen a cycle end.
func (p *pacer) observe(r reading) bool {
	if !p.seen {
		p.seen, p.cycles, p.allocs = true, r.cycles, r.allocs
		return false
	}
	step := r.allocs - p.allocs
	ended := r.cycles != p.cycles
	if ended {
		p.cycles, p.base, p.baseSeen = r.cycles, p.allocs, true
	}
	p.allocs = r.allocs
	if ended || r.goal <= r.live || step == 0 {
		return false
	}
	heap := r.objects
	if p.baseSeen {
		heap = min(heap, r.live+(r.allocs-p.base))
	}
	way := r.goal - r.live
	lowest := r.live + way/triggerRatioDen*minTriggerRatioNum
	guard := way / guardDen
	return heap+guard < lowest && heap+guard+2*step >= lowest
}
