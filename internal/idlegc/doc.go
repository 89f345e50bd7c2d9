// Package idlegc starts the garbage collector's next cycle between two
// changes, when the next change would otherwise start it, and returns the
// heap's free memory to the system when the control plane is at rest.
//
// At 10,000 routes the control plane's live heap is about 300 MB and a
// change allocates a few megabytes, so with the default GOGC one change
// in a hundred or so starts a collection while it is being processed; that
// change then shares the CPU with the collector's marking (whose idle
// workers take every core the process leaves free) and takes several
// times as long. The control plane calls Collector.AfterChange when a
// change is done: its configuration has been ACKed by every connected
// proxy (xds server Options.OnPropagated). It estimates how close the heap
// is to the point where the runtime's pacer may start a cycle (no sooner
// than about 70% of the way from the live heap to the heap goal) and,
// when the next change's allocation, estimated from the last one's, may
// reach it, starts a collection at once, while nothing waits on the
// process. It never collects when a cycle may already be running or be
// about to start, nor while its own collection runs, so it moves cycles
// earlier by a change or two and adds few. Without connected proxies
// nothing calls it, and the runtime collects as it would.
//
// It does not keep the heap from growing late in a cycle: when a
// change's long allocations find no free run of pages long enough, the
// heap maps new pages, the runtime returns as many elsewhere, and the
// changes after fault pages in again (docs/performance.md, sessions 19
// and 20; chunked lists made those allocations fewer, not none).
//
// At rest, ReturnMemoryAtRest (a runner of the control plane) returns
// memory: every RestCheck it looks at the heap, and when the process
// allocated less than 1 MiB since the last look and the heap memory held
// grew by an eighth of the live heap (at least 16 MiB) since the last
// return, it collects and returns every free page to the system
// (debug.FreeOSMemory, counted by envoy_gateway_memory_returns_total).
// Without it the runtime keeps the heap it grew to, about twice the live
// heap at the default GOGC, for as long as the process is idle; with it
// RSS at rest is about the live heap and the room unused in its pages.
// The changes after a return allocate into returned pages, which fault in
// again until the heap has grown back.
package idlegc
