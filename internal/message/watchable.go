package message

import (
	"context"
	"fmt"
	"runtime/trace"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

var handlerPanics = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "envoy_gateway_message_handler_panics_total",
	Help: "Panics recovered in message subscribers, by topic.",
}, []string{"topic"})

var handled = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "envoy_gateway_message_handled_total",
	Help: "Values handled by message subscribers, by topic.",
}, []string{"topic"})

// Collectors returns the bus metrics for registration with a Prometheus registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{handlerPanics, handled}
}

// Watchable is a topic holding the latest published value of type T.
type Watchable[T any] struct {
	topic string

	mu      sync.Mutex
	value   T
	version uint64
	subs    map[chan struct{}]struct{}
}

// NewWatchable returns an empty topic with the given name (used in metrics and logs).
func NewWatchable[T any](topic string) *Watchable[T] {
	return &Watchable[T]{topic: topic, subs: map[chan struct{}]struct{}{}}
}

// Topic returns the topic name.
func (w *Watchable[T]) Topic() string { return w.topic }

// Publish replaces the value and wakes every subscriber. The value must not be
// mutated afterwards.
func (w *Watchable[T]) Publish(v T) {
	w.mu.Lock()
	w.value = v
	w.version++
	for ch := range w.subs {
		select {
		case ch <- struct{}{}:
		default: // already signalled; the subscriber will read the newest value
		}
	}
	w.mu.Unlock()
}

// Load returns the latest value and its version (0 when nothing was published).
func (w *Watchable[T]) Load() (T, uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.value, w.version
}

// Subscribe calls handle with the latest value every time it changes, starting
// with the current value if one was published, until ctx is done. Values
// published while handle runs coalesce: handle sees the newest one next. A
// panic in handle is recovered, logged through onPanic (if not nil) and
// counted; the subscription goes on with the next value.
func (w *Watchable[T]) Subscribe(ctx context.Context, handle func(T), onPanic func(error)) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	w.subs[ch] = struct{}{}
	if w.version > 0 {
		ch <- struct{}{}
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.subs, ch)
		w.mu.Unlock()
	}()

	var seen uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			v, version := w.Load()
			if version == seen {
				continue
			}
			seen = version
			w.call(ctx, handle, v, onPanic)
		}
	}
}

// call runs handle on v, recovering a panic. In an execution trace
// (/debug/pprof/trace) each call is a region named after the topic.
func (w *Watchable[T]) call(ctx context.Context, handle func(T), v T, onPanic func(error)) {
	defer trace.StartRegion(ctx, w.topic).End()
	defer func() {
		if r := recover(); r != nil {
			handlerPanics.WithLabelValues(w.topic).Inc()
			if onPanic != nil {
				onPanic(fmt.Errorf("panic in %s subscriber: %v", w.topic, r))
			}
		}
	}()
	handled.WithLabelValues(w.topic).Inc()
	handle(v)
}
