package controllers

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// pushWorld is a status writer whose Applied tracker sees one fleet, with
// what it serves and how its proxies stand set by the test.
type pushWorld struct {
	c       *listCounter
	results *message.Watchable[*gatewayapi.Result]
	w       *statusWriter
	served  *gatewayapi.Result
	proxies []bus.ProxyStatus
}

func newPushWorld(t *testing.T) *pushWorld {
	t.Helper()
	pw := &pushWorld{c: &listCounter{Client: fakeClientBuilder(t, gwapiv1.Install).Build()},
		results: message.NewWatchable[*gatewayapi.Result]("results")}
	tracker := applied.New()
	tracker.SetSources(applied.Sources{
		Served:  func(string) *gatewayapi.Result { return pw.served },
		Proxies: func(f string) bus.FleetStatus { return bus.FleetStatus{Fleet: f, Served: true, Proxies: pw.proxies} },
	})
	w, err := newStatusWriter(pw.c, pw.c, nil, Options{ControllerName: "example.com/gc", Results: pw.results,
		Applied: tracker, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	pw.w = w
	return pw
}

// fleetResult is a result with one fleet whose Gateway is at generation gen.
func fleetResult(gen int64) *gatewayapi.Result {
	return &gatewayapi.Result{
		Fleets: []*bus.Fleet{{Name: "default/eg", Infra: &ir.Infra{Proxy: &ir.ProxyInfra{Name: "default/eg", Gateways: []string{"default/eg"}}},
			Xds: &ir.Xds{}}},
		Statuses: gatewayapi.Statuses{Gateways: []gatewayapi.GatewayStatus{{ObjectKey: gatewayapi.ObjectKey{Namespace: "default", Name: "eg"},
			Status: gwapiv1.GatewayStatus{Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue,
				Reason: "Accepted", ObservedGeneration: gen}}}}}},
	}
}

// round publishes res, runs a round for it, and reports whether the round
// ran (it reads the routes of a new result).
func (pw *pushWorld) round(ctx context.Context, res *gatewayapi.Result) bool {
	pw.results.Publish(res)
	before := pw.c.lists
	pw.w.write(ctx, res)
	return pw.c.lists > before
}

// TestStatusRoundWaitsForThePush checks that a round waits while connected
// proxies do not hold the result's configuration, runs once they do, runs
// at once without connected proxies, and runs, still pushing, once
// maxPushWait passed since the first round that waited.
func TestStatusRoundWaitsForThePush(t *testing.T) {
	ctx := t.Context() // done when the test ends: the armed timer then does nothing
	pw := newPushWorld(t)
	now := time.Unix(1000, 0)
	pw.w.clock = func() time.Time { return now }
	pw.w.pushWait = time.Hour // the timer never fires during the test

	first := fleetResult(1)
	pw.served, pw.proxies = first, []bus.ProxyStatus{{Node: "pod-1", State: bus.ProxyApplied}}
	if !pw.round(ctx, first) {
		t.Fatal("a round with the configuration held by every proxy did not run")
	}
	second := fleetResult(2) // served: first; the proxy holds first
	if pw.round(ctx, second) {
		t.Error("a round ran while the result's configuration was not served yet")
	}
	pw.served, pw.proxies = second, []bus.ProxyStatus{{Node: "pod-1", State: bus.ProxyPending}}
	if pw.round(ctx, second) {
		t.Error("a round ran while a proxy had not ACKed")
	}
	pw.proxies[0].State = bus.ProxyApplied
	if !pw.round(ctx, second) {
		t.Error("a round did not run once every proxy ACKed")
	}
	if !pw.w.pushWaitSince.IsZero() || pw.w.pushTimer != nil {
		t.Error("the wait, or its timer, is still there after a round ran")
	}

	pw.proxies = nil
	if !pw.round(ctx, fleetResult(3)) {
		t.Error("a round without connected proxies waited")
	}

	pw.proxies = []bus.ProxyStatus{{Node: "pod-1", State: bus.ProxyPending}}
	if pw.round(ctx, fleetResult(4)) {
		t.Error("a round ran while pushing")
	}
	now = now.Add(time.Hour - time.Second)
	if pw.round(ctx, fleetResult(5)) {
		t.Error("a round ran before maxPushWait passed since the first that waited")
	}
	now = now.Add(time.Second)
	if !pw.round(ctx, fleetResult(6)) {
		t.Error("a round waited longer than maxPushWait")
	}
}

// listSignal signals each List of its client on listed.
type listSignal struct {
	client.Client
	listed chan struct{}
}

func (c *listSignal) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	select {
	case c.listed <- struct{}{}:
	default:
	}
	return c.Client.List(ctx, list, opts...)
}

// TestStatusRoundWaitingRunsWhenTheWaitEnds checks that the timer armed by
// a round that waits runs a round when the wait ends, though nothing else
// starts one.
func TestStatusRoundWaitingRunsWhenTheWaitEnds(t *testing.T) {
	ctx := t.Context()
	pw := newPushWorld(t)
	signal := &listSignal{Client: pw.c, listed: make(chan struct{}, 1)}
	pw.w.cache, pw.w.api = signal, signal
	pw.w.pushWait = time.Millisecond
	pw.served, pw.proxies = fleetResult(1), []bus.ProxyStatus{{Node: "pod-1", State: bus.ProxyPending}}
	pw.w.mu.Lock()
	res := fleetResult(2)
	pw.results.Publish(res)
	waited := pw.w.waitForPush(ctx, pw.w.appliedReport(res))
	pw.w.mu.Unlock()
	if !waited {
		t.Fatal("the round did not wait while pushing")
	}
	select {
	case <-signal.listed: // the timer's round reads the routes
	case <-time.After(time.Minute):
		t.Fatal("no round ran when the wait ended")
	}
	pw.w.mu.Lock() // held by the round until it ends
	defer pw.w.mu.Unlock()
	if pw.w.routesDone != res {
		t.Error("the round that ran when the wait ended did not write the result's statuses")
	}
}
