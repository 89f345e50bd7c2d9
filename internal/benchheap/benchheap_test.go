package benchheap

import "testing"

// kept holds what the test keeps on the heap.
var kept [][]byte

// TestMeasuresWhatIsKept: 8 MiB kept show in both measures, and the
// resident heap covers the objects.
func TestMeasuresWhatIsKept(t *testing.T) {
	live, settled := Live(), Settled()
	kept = make([][]byte, 128)
	for i := range kept {
		kept[i] = make([]byte, 64<<10)
	}
	if d := Live() - live; d < 8<<20 {
		t.Errorf("Live grew by %d bytes for 8 MiB kept", d)
	}
	after := Settled()
	if d := after.Objects - settled.Objects; d < 8<<20 || after.Resident < after.Objects {
		t.Errorf("Settled: objects grew by %d bytes for 8 MiB kept; resident %d, objects %d", d, after.Resident, after.Objects)
	}
	kept = nil
}
