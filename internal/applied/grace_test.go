package applied

import (
	"context"
	"testing"
	"time"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// TestGraceEndNotifies: when the restart grace ends the tracker notifies,
// and a fleet without proxies no longer keeps its stored condition.
func TestGraceEndNotifies(t *testing.T) {
	tr := newTracker(50 * time.Millisecond)
	current := &gatewayapi.Result{Fleets: []*bus.Fleet{{Name: "ns/gw"}}}
	tr.SetSources(Sources{
		Served:  func(string) *gatewayapi.Result { return current },
		Proxies: func(f string) bus.FleetStatus { return bus.FleetStatus{Fleet: f} },
	})
	// Two notifications in any order: SetSources and the grace's end.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	notified := false
	tr.Changes().Subscribe(ctx, func(n uint64) {
		if n >= 2 && !notified {
			notified = true
			cancel()
		}
	}, func(err error) { t.Error(err) })
	if !notified {
		t.Fatal("no notification when the restart grace ended")
	}
	c, ok := tr.Report(current).Fleet("ns/gw")
	if !ok || c.Reason != ReasonNoProxies || c.KeepStored {
		t.Errorf("after the grace: condition %+v (found %v), want NoProxies not kept", c, ok)
	}
}
