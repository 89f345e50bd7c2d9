package benchheap

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Live is the heap in use right after a collection.
func Live() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Memory is the heap's objects and the heap memory the runtime holds for
// them (objects, unused room in their pages, free pages not returned).
type Memory struct {
	Objects, Resident int64
}

// Settled collects, returns every free page to the system and reads the
// heap memory then.
func Settled() Memory {
	debug.FreeOSMemory()
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(s)
	objects := int64(s[0].Value.Uint64())
	return Memory{Objects: objects, Resident: objects + int64(s[1].Value.Uint64()+s[2].Value.Uint64())}
}

// Since is the memory m holds beyond before.
func (m Memory) Since(before Memory) Memory {
	return Memory{Objects: m.Objects - before.Objects, Resident: m.Resident - before.Resident}
}

// Report reports m as a benchmark's held-MB (heap objects) and resident-MB
// (with the room unused in their pages).
func (m Memory) Report(b interface{ ReportMetric(n float64, unit string) }) {
	b.ReportMetric(float64(m.Objects)/1e6, "held-MB")
	b.ReportMetric(float64(m.Resident)/1e6, "resident-MB")
}
