package bus

import "github.com/envoygw/envoy-gateway/internal/ir"

// Fleet is one proxy fleet: what to run and what it must do.
type Fleet struct {
	// Name is the fleet key (ir.ProxyInfra.Name); proxies present it as
	// their node cluster.
	Name  string    `json:"name"`
	Infra *ir.Infra `json:"infra"`
	Xds   *ir.Xds   `json:"xds"`
}

// GatewayClass returns the GatewayClass of the fleet, "" when its infra IR
// does not say.
func (f *Fleet) GatewayClass() string {
	if f == nil || f.Infra == nil || f.Infra.Proxy == nil {
		return ""
	}
	return f.Infra.Proxy.GatewayClass
}

// FleetSet is every fleet of one translation: the value of the fleets topic.
type FleetSet struct {
	// Fleets are the fleets to run and configure, sorted by name.
	Fleets []*Fleet `json:"fleets,omitempty"`
	// FrozenGatewayClasses are the GatewayClasses whose parameters are
	// invalid or missing, sorted. Their Gateways have no fleet in Fleets,
	// but whatever already runs for them stays as it is until the class is
	// accepted again or deleted: the infra layer leaves the fleets' objects
	// untouched, and the xDS runner keeps their listeners, routes and
	// clusters while their endpoints keep following the backends.
	FrozenGatewayClasses []string `json:"frozenGatewayClasses,omitempty"`
	// Source is what the set was built from (the translation result), for
	// the layers above the IR; the xDS and infra layers never read it, they
	// only hand it back (the xDS runner's Served).
	Source any `json:"-"`
}

// Address types of InfraState addresses (the Gateway API's).
const (
	AddressTypeIP       = "IPAddress"
	AddressTypeHostname = "Hostname"
)

// InfraState is the observed state of a fleet's infrastructure, as the
// infra layer reports it to the provider.
type InfraState struct {
	// Ready is true when at least one proxy of the fleet is available.
	Ready bool `json:"ready"`
	// Addresses are where clients reach the fleet.
	Addresses []Address `json:"addresses,omitempty"`
}

// Address is an IP address or a hostname where a fleet is reachable.
type Address struct {
	// Type is AddressTypeIP or AddressTypeHostname.
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Reasons of FleetEvents.
const (
	ReasonFleetCreated     = "FleetCreated"
	ReasonFleetUpdated     = "FleetUpdated"
	ReasonFleetDeleted     = "FleetDeleted"
	ReasonFleetApplyFailed = "FleetApplyFailed"
)

// FleetEvent is something the infra layer did to a fleet, or failed to do,
// that users should hear about: the provider turns it into events on the
// fleet's Gateways (Kubernetes Events), or on its GatewayClass when it names
// no Gateway.
type FleetEvent struct {
	// Fleet is the fleet's name.
	Fleet string
	// GatewayClass is the fleet's GatewayClass, "" when unknown.
	GatewayClass string
	// Gateways are "<namespace>/<name>" of the Gateways the fleet serves.
	Gateways []string
	// Warning marks a failure; other events are normal.
	Warning bool
	// Reason is one of the Reason constants above.
	Reason string
	// Message says what happened, for people.
	Message string
}

// UsesGlobalRateLimit reports whether a fleet of the set has routes with
// global rate limits, which need the rate limit service.
func (s *FleetSet) UsesGlobalRateLimit() bool {
	if s == nil {
		return false
	}
	for _, f := range s.Fleets {
		if f != nil && f.Xds != nil && f.Xds.GlobalRateLimit != nil {
			return true
		}
	}
	return false
}
