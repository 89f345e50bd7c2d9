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
