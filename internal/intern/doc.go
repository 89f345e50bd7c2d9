// Package intern gives the small values that repeat across decoded
// Kubernetes objects one shared copy: the strings and the pointers to
// scalars (a route's group, kind, path type, port, weight; a slice's port
// name and protocol; a namespace) that every object decoded from JSON or
// protobuf holds in allocations of its own. A Table walks an object's
// exported fields and replaces each such value by the copy it holds,
// admitting a value the second time it sees it, so that values unique to
// one object (names, addresses, hostnames) are never held.
//
// The objects must be read-only once interned: two objects may then share
// a pointer, and a write through one would change both.
package intern
