// Package chunked holds List, an immutable list stored in chunks of at
// most a few hundred elements, for state kept from one change to the next
// that a change edits in one place (the encoded virtual hosts of a route
// configuration with ten thousand of them, say). A list made by replacing
// a run of another shares every chunk the run does not touch: an edit
// allocates the chunks it touches and the chunk index, a few kilobytes,
// never a copy of the whole list.
//
// Why not a flat slice copied per edit: on the machines we measure, an
// object of 32 KiB or more takes a run of pages of its own, and a change
// that allocates several such runs grows the heap late in a GC cycle when
// no free run is long enough; the new pages are then touched for the first
// time, which in a virtual machine costs about 11 µs a page (see
// docs/performance.md, "Session 19"). A chunk of pointers or small structs
// stays well under that size.
package chunked
