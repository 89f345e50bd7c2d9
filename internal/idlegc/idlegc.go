package idlegc

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Runtime metrics read after each change.
const (
	cyclesMetric  = "/gc/cycles/total:gc-cycles"
	allocsMetric  = "/gc/heap/allocs:bytes"
	liveMetric    = "/gc/heap/live:bytes"
	goalMetric    = "/gc/heap/goal:bytes"
	objectsMetric = "/memory/classes/heap/objects:bytes"
)

// Collector decides after each change whether to collect garbage now. Its
// methods may be called from any goroutine.
type Collector struct {
	mu    sync.Mutex
	pacer pacer
	// running is true while a collection it started runs (an idle one or
	// a return of memory at rest).
	running bool
	started prometheus.Counter
	// looked says whether checkRest looked before, and lastAllocs is the
	// heap allocated then; heldAfterReturn is the heap memory held right
	// after the last return of memory, 0 before any.
	looked          bool
	lastAllocs      uint64
	heldAfterReturn uint64
	returns         prometheus.Counter
	// read, collect, readMemory, returnMemory and ticker are readRuntime,
	// runtime.GC, readMemory, debug.FreeOSMemory and newTicker but in
	// tests.
	read         func() reading
	collect      func()
	readMemory   func() heapMemory
	returnMemory func()
	ticker       func(time.Duration) (<-chan time.Time, func())
}

// New returns a Collector.
func New() *Collector {
	return &Collector{
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "envoy_gateway_idle_gc_total",
			Help: "Garbage collections the control plane started between two changes, because the next change would likely have started one.",
		}),
		returns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "envoy_gateway_memory_returns_total",
			Help: "Times the control plane, at rest after changes, collected garbage and returned its free heap memory to the system.",
		}),
		read:         readRuntime,
		collect:      runtime.GC,
		readMemory:   readMemory,
		returnMemory: debug.FreeOSMemory,
		ticker:       newTicker,
	}
}

// Collectors are the Collector's metrics.
func (c *Collector) Collectors() []prometheus.Collector {
	return []prometheus.Collector{c.started, c.returns}
}

// AfterChange is called when a change is done. It reads the heap's state
// and, when the next change would likely start a collection, starts one in
// its own goroutine. It does not block.
func (c *Collector) AfterChange() {
	if c.start() {
		go func() {
			c.collect()
			c.finish()
		}()
	}
}

// CollectNowIfDue is AfterChange for a caller that has nothing else to do
// until its next change (a benchmark's driver): when the next change would
// likely start a collection, it collects in the calling goroutine, and
// reports whether it did.
func (c *Collector) CollectNowIfDue() bool {
	if !c.start() {
		return false
	}
	c.collect()
	c.finish()
	return true
}

// start takes the reading after a change and reports whether a collection
// is due and none of its own runs; if so, it marks one running.
func (c *Collector) start() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pacer.observe(c.read()) || c.running {
		return false
	}
	c.running = true
	c.started.Inc()
	return true
}

// finish marks the collection start began as ended.
func (c *Collector) finish() {
	c.mu.Lock()
	c.running = false
	c.mu.Unlock()
}

// readRuntime reads the runtime's metrics.
func readRuntime() reading {
	s := []metrics.Sample{
		{Name: cyclesMetric}, {Name: allocsMetric}, {Name: liveMetric}, {Name: goalMetric}, {Name: objectsMetric},
	}
	metrics.Read(s)
	return reading{
		cycles: s[0].Value.Uint64(), allocs: s[1].Value.Uint64(),
		live: s[2].Value.Uint64(), goal: s[3].Value.Uint64(), objects: s[4].Value.Uint64(),
	}
}
