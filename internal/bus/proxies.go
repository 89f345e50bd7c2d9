package bus

// ProxyState says whether a proxy holds its fleet's current configuration.
type ProxyState string

// The states of a proxy against its fleet's current configuration.
const (
	// ProxyApplied: the proxy ACKed the current version of every type the
	// fleet serves resources of.
	ProxyApplied ProxyState = "Applied"
	// ProxyRejected: the proxy NACKed the current version of a type.
	ProxyRejected ProxyState = "Rejected"
	// ProxyPending: the proxy has not ACKed or NACKed the current versions yet.
	ProxyPending ProxyState = "Pending"
)

// TypeStatus is what one proxy holds of one resource type.
type TypeStatus struct {
	// Sent is the version of the last response sent.
	Sent string `json:"sent,omitempty"`
	// Acked is the version the proxy last said it holds.
	Acked string `json:"acked,omitempty"`
	// Nacked is the version of the last response the proxy rejected, ""
	// when it rejected none (or a response no longer remembered).
	Nacked string `json:"nacked,omitempty"`
	// ErrorDetail is the message of the last rejection.
	ErrorDetail string `json:"errorDetail,omitempty"`
	// Rejected are the resources of the rejected response that the error
	// names, or all of them when it names none.
	Rejected []string `json:"rejected,omitempty"`
	// RejectedRoutes are the names of the routes (routev3.Route.name) of
	// rejected RouteConfigurations that the error names, by name or by
	// their "virtual_hosts[i].routes[j]" path.
	RejectedRoutes []string `json:"rejectedRoutes,omitempty"`
}

// ProxyStatus is one connected proxy (one xDS stream) of a fleet.
type ProxyStatus struct {
	Node     string `json:"node"`
	Protocol string `json:"protocol"`
	Stream   int64  `json:"stream"`
	// State compares what the proxy holds with the fleet's current versions.
	State ProxyState `json:"state"`
	// Rejection is the NACK of a current version when State is Rejected.
	Rejection *Rejection `json:"rejection,omitempty"`
	// Synced says the proxy has held its fleet's whole configuration
	// (State Applied) at least once on this stream: false while a proxy
	// that just connected is still receiving its first configuration.
	Synced bool `json:"synced"`
	// Types are the types the proxy subscribed to or was sent, by type URL.
	Types map[string]TypeStatus `json:"types"`
}

// Rejection is a proxy's NACK of a version the fleet serves now.
type Rejection struct {
	Node    string `json:"node"`
	TypeURL string `json:"typeUrl"`
	TypeStatus
}

// FleetStatus is the configuration a fleet serves now and how each
// connected proxy stands against it.
type FleetStatus struct {
	Fleet string `json:"fleet"`
	// Served says whether the fleet has a configuration on the server.
	Served bool `json:"served"`
	// Versions are the versions served now, by type URL.
	Versions map[string]string `json:"versions,omitempty"`
	// Proxies are the connected proxies, by node id then stream.
	Proxies []ProxyStatus `json:"proxies"`
	// Nacks counts the NACKs received from the fleet's proxies, by type URL.
	Nacks map[string]int `json:"nacks,omitempty"`
	// LastPropagationSeconds is the time the last configuration took from
	// being set to being ACKed by every connected proxy (0: none yet).
	LastPropagationSeconds float64 `json:"lastPropagationSeconds,omitempty"`
}

// State sums up the fleet: Rejected with the first rejection when any
// proxy rejected the current configuration, Pending when any proxy has not
// ACKed it, Applied when every connected proxy holds it. connected is
// false when no proxy is connected.
func (f FleetStatus) State() (state ProxyState, rejection *Rejection, connected bool) {
	state = ProxyApplied
	for _, p := range f.Proxies {
		switch p.State {
		case ProxyRejected:
			return ProxyRejected, p.Rejection, true
		case ProxyPending:
			state = ProxyPending
		}
	}
	return state, nil, len(f.Proxies) > 0
}
