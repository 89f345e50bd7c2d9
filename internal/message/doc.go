// Package message owns the in-process bus between runners. A Watchable holds
// the latest published value of one topic; subscribers are woken when it
// changes and always read the newest value, so bursts coalesce and a slow
// subscriber never blocks a publisher. Published values are shared by all
// subscribers and must never be mutated after Publish: no deep copies are made.
package message
