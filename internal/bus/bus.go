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
