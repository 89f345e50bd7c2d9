package leader

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/envoygw/envoy-gateway/internal/runner"
)

// waitBound is the generous bound of every wait: results never depend on it.
const waitBound = 30 * time.Second

// fakeLock is an in-memory lock whose API can be made unreachable.
type fakeLock struct {
	identity string

	mu     sync.Mutex
	record *resourcelock.LeaderElectionRecord
	down   bool
}

var errUnreachable = errors.New("the API server is unreachable")

func (l *fakeLock) setDown(down bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = down
}

func (l *fakeLock) holder() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.record == nil {
		return ""
	}
	return l.record.HolderIdentity
}

func (l *fakeLock) Get(context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.down:
		return nil, nil, errUnreachable
	case l.record == nil:
		return nil, nil, apierrors.NewNotFound(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, "test")
	}
	rec := *l.record
	raw, err := json.Marshal(rec)
	return &rec, raw, err
}

func (l *fakeLock) Create(_ context.Context, r resourcelock.LeaderElectionRecord) error {
	return l.write(r)
}

func (l *fakeLock) Update(_ context.Context, r resourcelock.LeaderElectionRecord) error {
	return l.write(r)
}

func (l *fakeLock) write(r resourcelock.LeaderElectionRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return errUnreachable
	}
	l.record = &r
	return nil
}

func (l *fakeLock) RecordEvent(string) {}
func (l *fakeLock) Identity() string   { return l.identity }
func (l *fakeLock) Describe() string   { return "test/lease" }

// termWork is leader-only work that reports when it starts and stops; fail
// makes its next start return an error at once.
type termWork struct {
	started chan int
	stopped chan int

	mu    sync.Mutex
	terms int
	fail  bool
}

func newTermWork() *termWork {
	return &termWork{started: make(chan int, 10), stopped: make(chan int, 10)}
}

func (w *termWork) Name() string { return "term-work" }

func (w *termWork) Start(ctx context.Context) error {
	w.mu.Lock()
	w.terms++
	term, fail := w.terms, w.fail
	w.fail = false
	w.mu.Unlock()
	w.started <- term
	defer func() { w.stopped <- term }()
	if fail {
		return errors.New("work failed")
	}
	<-ctx.Done()
	return nil
}

func receive(t *testing.T, ch <-chan int, what string) int {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitBound):
		t.Fatalf("timed out waiting for %s", what)
		return 0
	}
}

type electorTest struct {
	lock    *fakeLock
	work    *termWork
	reg     *prometheus.Registry
	elector *Elector
	cancel  context.CancelFunc
	done    chan error

	stopOnce sync.Once
	stopErr  error
}

// stop cancels the elector's context and waits for Start to return.
func (et *electorTest) stop(t *testing.T) {
	t.Helper()
	et.stopOnce.Do(func() {
		et.cancel()
		select {
		case et.stopErr = <-et.done:
		case <-time.After(waitBound):
			et.stopErr = errors.New("Start did not return after its context ended")
		}
	})
	if et.stopErr != nil {
		t.Errorf("stopping the elector: %v", et.stopErr)
	}
}

func startElector(t *testing.T) *electorTest {
	t.Helper()
	et := &electorTest{lock: &fakeLock{identity: "replica-a"}, work: newTermWork(), reg: prometheus.NewRegistry()}
	e, err := New(Options{
		Lock: et.lock, Namespace: "test", Name: "lease",
		LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond,
		Work: []runner.Runner{et.work}, Registerer: et.reg, Logger: testr.New(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	et.elector = e
	ctx, cancel := context.WithCancel(context.Background())
	et.cancel, et.done = cancel, make(chan error, 1)
	go func() { et.done <- e.Start(ctx) }()
	t.Cleanup(func() { et.stop(t) })
	return et
}

func TestElectorRunsWorkPerTermAndCampaignsAgainAfterALostLease(t *testing.T) {
	et := startElector(t)
	if term := receive(t, et.work.started, "the first term"); term != 1 {
		t.Fatalf("first start is of term %d", term)
	}
	if et.lock.holder() != "replica-a" {
		t.Fatalf("lease holder %q, want replica-a", et.lock.holder())
	}

	// The API server goes away: renewing fails, the term ends and its work
	// stops; the elector does not return.
	et.lock.setDown(true)
	if term := receive(t, et.work.stopped, "the work to stop when renewing fails"); term != 1 {
		t.Fatalf("stopped term %d", term)
	}
	select {
	case err := <-et.done:
		t.Fatalf("Start returned %v when the lease was lost", err)
	default:
	}

	// It comes back: the elector wins a new term and the work runs again.
	et.lock.setDown(false)
	if term := receive(t, et.work.started, "the second term"); term != 2 {
		t.Fatalf("second start is of term %d", term)
	}
	if got := testutil.ToFloat64(et.elector.terms); got != 2 {
		t.Errorf("envoy_gateway_leader_terms_total = %v, want 2", got)
	}
	if got := testutil.ToFloat64(et.elector.leading); got != 1 {
		t.Errorf("envoy_gateway_leader = %v while leading, want 1", got)
	}

	// Stopping releases the lease for the other replicas.
	et.stop(t)
	receive(t, et.work.stopped, "the work to stop with the elector")
	if h := et.lock.holder(); h != "" {
		t.Errorf("lease still held by %q after stopping", h)
	}
	if got := testutil.ToFloat64(et.elector.leading); got != 0 {
		t.Errorf("envoy_gateway_leader = %v after stopping, want 0", got)
	}
}

func TestElectorGivesUpTheLeaseWhenTheWorkFails(t *testing.T) {
	et := startElector(t)
	receive(t, et.work.started, "the first term")
	et.work.mu.Lock()
	et.work.fail = true
	et.work.mu.Unlock()
	// End the first term by losing the lease once, so that the next start fails.
	et.lock.setDown(true)
	receive(t, et.work.stopped, "the first term to end")
	et.lock.setDown(false)
	if term := receive(t, et.work.started, "the failing term"); term != 2 {
		t.Fatalf("failing start is of term %d", term)
	}
	receive(t, et.work.stopped, "the failing term to end")
	if term := receive(t, et.work.started, "a term after the failure"); term != 3 {
		t.Fatalf("start after the failure is of term %d", term)
	}
}

func TestNewChecksOptions(t *testing.T) {
	for _, opts := range []Options{
		{Namespace: "ns", Name: "lease"},
		{Lock: &fakeLock{}, Name: "lease"},
		{Lock: &fakeLock{}, Namespace: "ns"},
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("New(%+v) accepted incomplete options", opts)
		}
	}
}
