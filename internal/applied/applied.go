package applied

import (
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// ConditionType is the implementation-specific condition on Gateways,
// ListenerSets and route parents.
const ConditionType = "gateway.envoyproxy.io/Applied"

// Reasons of the Applied condition.
const (
	// ReasonApplied: every connected proxy of the fleet ACKed the
	// configuration built from the current generations (True).
	ReasonApplied = "Applied"
	// ReasonRejected: a proxy NACKed it (False).
	ReasonRejected = "Rejected"
	// ReasonPending: it is not served yet, or some proxy has not ACKed it (Unknown).
	ReasonPending = "Pending"
	// ReasonNoProxies: no proxy of the fleet is connected (Unknown).
	ReasonNoProxies = "NoProxies"
)

// ReconnectGrace is how long after start an Unknown condition does not
// replace a stored condition of the same generation: after a restart of
// the control plane the proxies reconnect and ACK again, and a restart must
// not rewrite every Gateway's status meanwhile. The Tracker notifies once
// when the grace ends, so that a fleet whose proxies did not come back is
// reported as it stands.
const ReconnectGrace = 30 * time.Second

// maxMessage bounds a condition message (the API allows 32768 bytes).
const maxMessage = 2048

// Sources are where the Tracker reads what is served and what the proxies hold.
type Sources struct {
	// Served returns the translation result the fleet's configuration was
	// last built from (xds runner), nil when none.
	Served func(fleet string) *gatewayapi.Result
	// Proxies returns how the fleet's connected proxies stand against what
	// it serves now (xds server).
	Proxies func(fleet string) bus.FleetStatus
}

// Tracker computes the Applied conditions of a translation result's
// Gateways, ListenerSets and routes from its Sources, and tells when they
// may have changed.
type Tracker struct {
	changes *message.Watchable[uint64]
	started time.Time
	now     func() time.Time
	grace   time.Duration // ReconnectGrace but in tests

	mu      sync.Mutex
	sources Sources
	count   uint64
	// indexes caches the fleet inputs of the last few results, and
	// routeKeys the inputs keys of their IR routes.
	indexes   map[*gatewayapi.Result]*fleetIndex
	routeKeys *routeKeys
	// last is the index computed last, which the next one patches.
	last *fleetIndex
}

// New returns a Tracker without sources: every condition is Pending until
// SetSources is called.
func New() *Tracker { return newTracker(ReconnectGrace) }

// newTracker returns a Tracker whose restart grace lasts grace.
func newTracker(grace time.Duration) *Tracker {
	t := &Tracker{
		grace:     grace,
		changes:   message.NewWatchable[uint64]("applied-changes"),
		started:   time.Now(),
		now:       time.Now,
		indexes:   map[*gatewayapi.Result]*fleetIndex{},
		routeKeys: &routeKeys{keys: map[*ir.HTTPRoute]*routeKey{}},
	}
	time.AfterFunc(grace, t.Notify)
	return t
}

// SetSources sets where the Tracker reads served results and proxy states.
func (t *Tracker) SetSources(s Sources) {
	t.mu.Lock()
	t.sources = s
	t.mu.Unlock()
	t.Notify()
}

// Notify says the conditions may have changed: a fleet was served, a proxy
// connected, ACKed, NACKed or left. It never blocks; notifications coalesce.
func (t *Tracker) Notify() {
	t.mu.Lock()
	t.count++
	n := t.count
	t.mu.Unlock()
	t.changes.Publish(n)
}

// Changes is published to after every Notify.
func (t *Tracker) Changes() *message.Watchable[uint64] { return t.changes }

// FleetStatus returns how the fleet's connected proxies stand, or an empty
// status without sources.
func (t *Tracker) FleetStatus(fleet string) bus.FleetStatus {
	t.mu.Lock()
	src := t.sources
	t.mu.Unlock()
	if src.Proxies == nil {
		return bus.FleetStatus{Fleet: fleet, Proxies: []bus.ProxyStatus{}}
	}
	return src.Proxies(fleet)
}

// index returns the cached inputs of r, computing them once.
func (t *Tracker) index(r *gatewayapi.Result) *fleetIndex {
	t.mu.Lock()
	defer t.mu.Unlock()
	if idx, ok := t.indexes[r]; ok {
		return idx
	}
	if len(t.indexes) >= 4 {
		clear(t.indexes)
	}
	idx := indexResult(r, t.routeKeys, t.last)
	t.indexes[r], t.last = idx, idx
	return idx
}

// FleetCondition is the Applied condition of one fleet for a result.
type FleetCondition struct {
	Status  metav1.ConditionStatus
	Reason  string
	Message string
	// Rejection is the NACK behind a Rejected condition.
	Rejection *bus.Rejection
	// KeepStored says that a stored condition of the same generation
	// stays: within ReconnectGrace of start, the fleet has no proxies or
	// only proxies still receiving their first configuration on their
	// stream (the states a restart goes through), and is not served yet
	// or not ACKed.
	KeepStored bool
	// restarting says the condition is one a restart goes through.
	restarting bool
	// pushing says the fleet has connected proxies that do not all hold
	// the configuration built from the result yet: it is not served yet,
	// or some proxy has not ACKed it.
	pushing bool
}

// fleetCondition computes the Applied condition of fleet for current.
func (t *Tracker) fleetCondition(current *gatewayapi.Result, fleet string) FleetCondition {
	t.mu.Lock()
	src := t.sources
	t.mu.Unlock()
	if src.Served == nil || src.Proxies == nil {
		return FleetCondition{Status: metav1.ConditionUnknown, Reason: ReasonPending, Message: "the xDS server is not running"}
	}
	want := t.index(current).inputs[fleet]
	fs := src.Proxies(fleet)
	served := src.Served(fleet)
	state, rej, connected := fs.State()
	if served == nil || !t.index(served).inputs[fleet].equal(want) {
		return FleetCondition{Status: metav1.ConditionUnknown, Reason: ReasonPending, restarting: noneSynced(fs), pushing: connected,
			Message: fmt.Sprintf("the configuration of fleet %s built from the current generations is not served yet", fleet)}
	}
	switch {
	case !connected:
		return FleetCondition{Status: metav1.ConditionUnknown, Reason: ReasonNoProxies, restarting: true,
			Message: fmt.Sprintf("no proxy of fleet %s is connected to the xDS server", fleet)}
	case state == bus.ProxyRejected:
		return FleetCondition{Status: metav1.ConditionFalse, Reason: ReasonRejected, Rejection: rej,
			Message: truncate(fmt.Sprintf("proxy %s rejected %s version %s: %s",
				rej.Node, typeName(rej.TypeURL), rej.Nacked, rej.ErrorDetail))}
	case state == bus.ProxyPending:
		return FleetCondition{Status: metav1.ConditionUnknown, Reason: ReasonPending, restarting: noneSynced(fs), pushing: true,
			Message: fmt.Sprintf("%d of %d connected proxies of fleet %s hold the configuration",
				countApplied(fs), len(fs.Proxies), fleet)}
	}
	return FleetCondition{Status: metav1.ConditionTrue, Reason: ReasonApplied,
		Message: fmt.Sprintf("all %d connected proxies of fleet %s ACKed the configuration", len(fs.Proxies), fleet)}
}

// noneSynced reports whether no connected proxy has held the fleet's whole
// configuration yet on its stream: they have just (re)connected, as after
// a restart, and are still receiving their first configuration.
func noneSynced(fs bus.FleetStatus) bool {
	for _, p := range fs.Proxies {
		if p.Synced {
			return false
		}
	}
	return true
}

func countApplied(fs bus.FleetStatus) int {
	n := 0
	for _, p := range fs.Proxies {
		if p.State == bus.ProxyApplied {
			n++
		}
	}
	return n
}

// typeName shortens a type URL to its message name.
func typeName(typeURL string) string {
	for i := len(typeURL) - 1; i >= 0; i-- {
		if typeURL[i] == '.' {
			return typeURL[i+1:]
		}
	}
	return typeURL
}

func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return s[:maxMessage-3] + "..."
}
