package idlegc

import (
	"runtime/metrics"
	"time"
)

// Returning memory at rest: after a load or a run of changes, the heap has
// grown toward the collector's goal, about twice the live heap, and the
// runtime keeps those pages (its background scavenger returns only what
// lies well beyond the goal). Once no change has been done for RestAfter,
// and the heap memory the process holds has grown by restGrowth since the
// last return, the Collector collects and returns every free page to the
// system.
const (
	// RestAfter is how long after the last change the control plane is
	// taken to be at rest.
	RestAfter = time.Second
	// restGrowthDen and restMinGrowth set the growth that makes a return
	// worth its collection: an eighth of the live heap, at least 16 MiB. A
	// return costs a collection (about 0.3 s of CPU at 10,000 routes), so
	// there are at most eight of them per live heap of growth, and none
	// while changes follow each other within RestAfter.
	restGrowthDen = 8
	restMinGrowth = 16 << 20
)

// Runtime metrics read at rest.
const (
	unusedMetric = "/memory/classes/heap/unused:bytes"
	freeMetric   = "/memory/classes/heap/free:bytes"
)

// heapMemory is the heap memory the process holds (its objects, the room
// unused in their pages and the free pages not yet returned to the
// system) and the live heap the last collection marked.
type heapMemory struct {
	held, live uint64
}

// restTimer is the part of *time.Timer the Collector uses.
type restTimer interface {
	Reset(d time.Duration) bool
}

func afterFunc(d time.Duration, f func()) restTimer { return time.AfterFunc(d, f) }

// restAgain (re)starts the wait for rest, with c.mu held.
func (c *Collector) restAgain() {
	if c.restTimer == nil {
		c.restTimer = c.afterFunc(RestAfter, c.atRest)
		return
	}
	c.restTimer.Reset(RestAfter)
}

// atRest runs RestAfter after the last change: it returns memory when the
// heap held grew enough since the last return. While a collection of the
// Collector's runs, it waits for rest again.
func (c *Collector) atRest() {
	c.mu.Lock()
	if c.running {
		c.restAgain()
		c.mu.Unlock()
		return
	}
	m := c.readMemory()
	due := m.held >= c.heldAfterReturn+max(restMinGrowth, m.live/restGrowthDen)
	c.running = due
	c.mu.Unlock()
	if !due {
		return
	}
	c.returnMemory()
	m = c.readMemory()
	c.mu.Lock()
	c.heldAfterReturn, c.running = m.held, false
	c.returns.Inc()
	c.mu.Unlock()
}

// readMemory reads the heap memory from the runtime's metrics.
func readMemory() heapMemory {
	s := []metrics.Sample{{Name: objectsMetric}, {Name: unusedMetric}, {Name: freeMetric}, {Name: liveMetric}}
	metrics.Read(s)
	return heapMemory{
		held: s[0].Value.Uint64() + s[1].Value.Uint64() + s[2].Value.Uint64(),
		live: s[3].Value.Uint64(),
	}
}
