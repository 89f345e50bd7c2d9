package runner

import (
	"testing"

	"github.com/go-logr/logr"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

func TestServedRecordsTheResultEachFleetServes(t *testing.T) {
	srv := newFakeServer()
	srv.fail["b"] = true
	notified := 0
	r, err := New(Options{
		Fleets: message.NewWatchable[*bus.FleetSet]("results"), Server: srv, Logger: logr.Discard(),
		OnServed: func() { notified++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	first := &bus.FleetSet{Fleets: []*bus.Fleet{{Name: "a", Xds: &ir.Xds{}}, {Name: "b", Xds: &ir.Xds{}}}}
	r.handle(first)
	if r.Served("a") != first || r.Served("b") != nil || notified != 1 {
		t.Errorf("after the first result: Served(a) = %p (want %p), Served(b) = %p (refused: want nil), notified %d times (want 1)",
			r.Served("a"), first, r.Served("b"), notified)
	}
	// The same IR in a new result: nothing to translate, but the new result is served.
	second := &bus.FleetSet{Fleets: []*bus.Fleet{first.Fleets[0]}}
	r.handle(second)
	if r.Served("a") != second {
		t.Errorf("Served(a) = %p, want the second result %p", r.Served("a"), second)
	}
	r.handle(&bus.FleetSet{})
	if r.Served("a") != nil {
		t.Error("a fleet no longer served still reports a result")
	}
}
