// Package intern gives the small values that repeat across decoded
// Kubernetes objects one shared copy: the strings, the pointers to scalars
// and to comparable structs, and the slices of comparable elements (a
// route's group, kind, path match and weight; a Service's ports; a slice's
// port name and protocol; a namespace; a route status's conditions) that
// every object decoded from YAML, JSON or protobuf holds in allocations of
// its own. A Table walks an object's exported fields (through pointers,
// structs and slices, not maps or interfaces) and replaces each such value
// by the copy it holds, admitting a value the second time it sees it, so
// that values unique to one object (names, addresses, hostnames) are never
// held. Shared slices are clipped: appending to one copies it.
//
// Not the standard library's unique.Make: it keeps an entry for every
// distinct value while the value lives, the names and addresses that
// never repeat included (50,000 objects' worth at 10,000 routes), and it
// shares strings only, not pointers or slices.
//
// The objects must be read-only once interned: two objects may then share
// a pointer or a slice, and a write through one would change both.
package intern
