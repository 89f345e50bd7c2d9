// Package benchheap measures, for benchmarks, the heap memory a part of
// the control plane holds: the live heap after a collection, and the heap
// memory the runtime keeps once every free page is returned to the system
// (the objects and the room unused in their pages: what they add to RSS at
// best). Nothing in the control plane itself uses it.
package benchheap
