package ratelimit

import (
	"container/list"
	"slices"
	"strings"
	"sync"

	"github.com/envoygw/envoy-gateway/test/dataplane/router"
)

// dynamicDescriptor is a configured descriptor with wildcard entries: a
// bucket per distinct request descriptor it matches, the least recently
// used dropped beyond max.
type dynamicDescriptor struct {
	entries router.Descriptor
	spec    bucketSpec
	limit   int
	clock   Clock

	mu      sync.Mutex
	buckets map[string]*list.Element // key: the request descriptor
	lru     *list.List               // of *localDescriptor, most recent first
}

func newDynamicDescriptor(entries router.Descriptor, spec bucketSpec, maxBuckets int, clock Clock) *dynamicDescriptor {
	return &dynamicDescriptor{entries: entries, spec: spec, limit: maxBuckets, clock: clock,
		buckets: map[string]*list.Element{}, lru: list.New()}
}

// fits is DynamicDescriptorMap::matchDescriptorEntries: same keys in the
// same order, equal values where the configured one is set.
func (w *dynamicDescriptor) fits(d router.Descriptor) bool {
	return slices.EqualFunc(w.entries, d, func(c, r router.DescriptorEntry) bool {
		return c.Key == r.Key && (c.Value == "" || c.Value == r.Value)
	})
}

// get returns the bucket of a request descriptor, nil when it does not fit.
func (w *dynamicDescriptor) get(d router.Descriptor) *localDescriptor {
	if !w.fits(d) {
		return nil
	}
	key := descriptorKey(d)
	w.mu.Lock()
	defer w.mu.Unlock()
	if el, ok := w.buckets[key]; ok {
		w.lru.MoveToFront(el)
		return el.Value.(*localDescriptor)
	}
	ld := &localDescriptor{entries: d, bucket: newBucket(w.spec, w.clock), rate: w.spec.fillRate()}
	w.buckets[key] = w.lru.PushFront(ld)
	if w.lru.Len() > w.limit {
		oldest := w.lru.Back()
		w.lru.Remove(oldest)
		delete(w.buckets, descriptorKey(oldest.Value.(*localDescriptor).entries))
	}
	return ld
}

func descriptorKey(d router.Descriptor) string {
	var b strings.Builder
	for _, e := range d {
		b.WriteString(e.Key)
		b.WriteByte(0)
		b.WriteString(e.Value)
		b.WriteByte(0)
	}
	return b.String()
}
