package message

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestSubscribeSeesCurrentThenNewestValue(t *testing.T) {
	w := NewWatchable[int]("test-current")
	w.Publish(1)
	ctx := t.Context()

	got := make(chan int, 10)
	go w.Subscribe(ctx, func(v int) { got <- v }, nil)
	if v := <-got; v != 1 {
		t.Fatalf("first value = %d, want 1", v)
	}
	w.Publish(2)
	if v := <-got; v != 2 {
		t.Fatalf("second value = %d, want 2", v)
	}
}

func TestBurstsCoalesceToNewest(t *testing.T) {
	w := NewWatchable[int]("test-coalesce")
	ctx := t.Context()

	block := make(chan struct{})
	var mu sync.Mutex
	var seen []int
	done := make(chan struct{})
	go w.Subscribe(ctx, func(v int) {
		mu.Lock()
		seen = append(seen, v)
		mu.Unlock()
		if v == 1 {
			<-block // hold the subscriber while a burst is published
		}
		if v == 100 {
			close(done)
		}
	}, nil)
	w.Publish(1)
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 1 })
	for i := 2; i <= 100; i++ {
		w.Publish(i)
	}
	close(block)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[1] != 100 {
		t.Fatalf("subscriber saw %v, want [1 100]", seen)
	}
}

func TestPanicIsRecoveredAndCounted(t *testing.T) {
	w := NewWatchable[int]("test-panic")
	ctx := t.Context()

	panicsBefore := testutil.ToFloat64(handlerPanics.WithLabelValues("test-panic"))
	errs := make(chan error, 1)
	got := make(chan int, 1)
	go w.Subscribe(ctx, func(v int) {
		if v == 1 {
			panic("boom")
		}
		got <- v
	}, func(err error) { errs <- err })
	w.Publish(1)
	if err := <-errs; err == nil {
		t.Fatal("expected a panic error")
	}
	w.Publish(2)
	if v := <-got; v != 2 {
		t.Fatalf("after panic got %d, want 2", v)
	}
	if n := testutil.ToFloat64(handlerPanics.WithLabelValues("test-panic")) - panicsBefore; n != 1 {
		t.Fatalf("panic counter grew by %v, want 1", n)
	}
}

func TestSubscribeReturnsWhenContextDone(t *testing.T) {
	w := NewWatchable[int]("test-cancel")
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() { w.Subscribe(ctx, func(int) {}, nil); close(returned) }()
	cancel()
	<-returned
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.subs) != 0 {
		t.Fatalf("subscriber not removed: %d left", len(w.subs))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous for loaded machines; decides no result
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(time.Millisecond)
	}
}
