package idlegc

import (
	"context"
	"runtime/metrics"
	"time"
)

// Returning memory at rest: after a load or a run of changes, the heap has
// grown toward the collector's goal, about twice the live heap, and the
// runtime keeps those pages (its background scavenger returns only what
// lies well beyond the goal). ReturnMemoryAtRest looks every RestCheck:
// when the process allocated less than restQuiet since the last look (it
// is at rest) and the heap memory it holds grew by restGrowth since the
// last return, it collects and returns every free page to the system.
const (
	// RestCheck is the period of the looks, and the rest a look needs.
	RestCheck = time.Second
	// restQuiet is the most the process may allocate in RestCheck and be
	// at rest: a change allocates megabytes, an idle process (metrics
	// scrapes, lease renewals) kilobytes.
	restQuiet = 1 << 20
	// restGrowthDen and restMinGrowth set the growth that makes a return
	// worth its collection: an eighth of the live heap, at least 16 MiB. A
	// return costs a collection (about 0.2-0.3 s of CPU at 10,000 routes),
	// so there are at most eight of them per live heap of growth, and none
	// while the process works.
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
// system), the live heap the last collection marked, and the heap memory
// allocated since the process started.
type heapMemory struct {
	held, live, allocs uint64
}

// ReturnMemoryAtRest looks for rest every RestCheck until ctx is done (see
// checkRest).
func (c *Collector) ReturnMemoryAtRest(ctx context.Context) error {
	ticks, stop := c.ticker(RestCheck)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
			c.checkRest()
		}
	}
}

// checkRest takes a look: at rest (less than restQuiet allocated since
// the last look), and when the heap held grew enough since the last
// return, it returns memory, unless a collection of the Collector's runs.
func (c *Collector) checkRest() {
	c.mu.Lock()
	m := c.readMemory()
	quiet := c.looked && m.allocs-c.lastAllocs < restQuiet
	c.looked, c.lastAllocs = true, m.allocs
	due := quiet && !c.running && m.held >= c.heldAfterReturn+max(restMinGrowth, m.live/restGrowthDen)
	c.running = c.running || due
	c.mu.Unlock()
	if !due {
		return
	}
	c.returnMemory()
	m = c.readMemory()
	c.mu.Lock()
	c.heldAfterReturn, c.lastAllocs, c.running = m.held, m.allocs, false
	c.returns.Inc()
	c.mu.Unlock()
}

// readMemory reads the heap memory from the runtime's metrics.
func readMemory() heapMemory {
	s := []metrics.Sample{{Name: objectsMetric}, {Name: unusedMetric}, {Name: freeMetric}, {Name: liveMetric}, {Name: allocsMetric}}
	metrics.Read(s)
	return heapMemory{
		held:   s[0].Value.Uint64() + s[1].Value.Uint64() + s[2].Value.Uint64(),
		live:   s[3].Value.Uint64(),
		allocs: s[4].Value.Uint64(),
	}
}

// newTicker is time.NewTicker as a channel and its stop.
func newTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}
