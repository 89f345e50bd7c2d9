package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Clock is the monotonic time source of the token buckets.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// bucket is Envoy's atomic token bucket: it starts with maxTokens and
// refills continuously at rate tokens per second up to maxTokens.
type bucket struct {
	maxTokens float64
	rate      float64 // tokens per second
	clock     Clock

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// bucketSpec is a compiled TokenBucket.
type bucketSpec struct {
	maxTokens     uint32
	tokensPerFill uint32
	fillInterval  time.Duration
}

// fillRate is tokens per second.
func (s bucketSpec) fillRate() float64 {
	if s.fillInterval <= 0 {
		return math.Inf(1)
	}
	return float64(s.tokensPerFill) / s.fillInterval.Seconds()
}

func newBucket(s bucketSpec, clock Clock) *bucket {
	return &bucket{maxTokens: float64(s.maxTokens), rate: s.fillRate(), clock: clock,
		tokens: float64(s.maxTokens), last: clock.Now()}
}

// consume takes one token when there is a whole one.
func (b *bucket) consume() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(b.maxTokens, b.tokens+elapsed*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
