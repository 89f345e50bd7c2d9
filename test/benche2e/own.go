package main

import (
	rtmetrics "runtime/metrics"
	"syscall"
	"time"

	"github.com/envoygw/envoy-gateway/internal/idlegc"
)

// ownSample is the harness's own CPU time and garbage collection count at
// one moment: its two clients decode every response and hold the whole
// configuration, on the same cores as the server, so what they cost
// during a change is recorded beside the change's latency.
type ownSample struct {
	cpu      time.Duration
	gcCycles uint64
}

// gcCyclesMetric is runtime/metrics' count of completed GC cycles.
const gcCyclesMetric = "/gc/cycles/total:gc-cycles"

// sampleOwn reads the harness's CPU time (user and system, all threads)
// and completed GC cycles.
func sampleOwn() ownSample {
	var ru syscall.Rusage
	var s ownSample
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	m := []rtmetrics.Sample{{Name: gcCyclesMetric}}
	rtmetrics.Read(m)
	if m[0].Value.Kind() == rtmetrics.KindUint64 {
		s.gcCycles = m[0].Value.Uint64()
	}
	return s
}

// ownCollector collects the harness's garbage between changes.
var ownCollector = idlegc.New()

// collectOwnGarbage is called after each change, before the pause to the
// next: when the harness's next change would likely start a collection of
// its heap (its clients' decoded copies of the whole configuration, about
// 300 MB at 10,000 routes, whose marking takes about a second of CPU), it
// collects now, while the server is idle, rather than during a change,
// where it would take a core from the server on a 2-core machine. It
// reports whether it did.
func collectOwnGarbage() bool { return ownCollector.CollectNowIfDue() }
