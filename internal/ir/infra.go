package ir

import (
	"errors"
	"fmt"
	"net/netip"
)

// Infra is what the infra manager must run for one proxy fleet.
type Infra struct {
	Proxy *ProxyInfra `json:"proxy"`
}

// ProxyInfra describes one fleet of Envoy proxies.
type ProxyInfra struct {
	// Name is the fleet key: "<gateway-namespace>/<gateway-name>" for a fleet
	// per Gateway, or "<gatewayclass-name>" when the class merges its Gateways.
	// Envoy presents it as its node cluster to the xDS server.
	Name string `json:"name"`
	// GatewayClass is the class every Gateway of the fleet belongs to.
	GatewayClass string `json:"gatewayClass"`
	// Gateways are the "<namespace>/<name>" of the Gateways served, sorted.
	Gateways []string `json:"gateways"`
	// Config holds the infrastructure parameters from EnvoyProxy (defaults applied).
	Config ProxyConfig `json:"config"`
	// Listeners are the ports the fleet exposes, sorted by port.
	Listeners []*ProxyListener `json:"listeners,omitempty"`
	// Addresses are the static IP addresses the fleet's Gateways request
	// (spec.addresses), sorted. The fleet's Service requests the address
	// from the load balancer when there is exactly one.
	Addresses []string `json:"addresses,omitempty"`
	// Labels and Annotations are the Gateways' spec.infrastructure metadata,
	// copied onto every object of the fleet (and its Pods). A fleet of one
	// Gateway has its Gateway's; a merged fleet has only the entries every
	// one of its Gateways sets to the same value.
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ProxyConfig is the resolved infrastructure parameters of a fleet.
type ProxyConfig struct {
	// EnvoyProxy is "<namespace>/<name>" of the EnvoyProxy used, empty for defaults.
	EnvoyProxy string `json:"envoyProxy,omitempty"`
	// ServiceType is LoadBalancer, NodePort or ClusterIP.
	ServiceType string `json:"serviceType"`
	// ServiceAnnotations are copied onto the fleet's Service.
	ServiceAnnotations map[string]string `json:"serviceAnnotations,omitempty"`
	Replicas           int32             `json:"replicas"`
	Image              string            `json:"image"`
	// Resources are the Envoy container's compute resources.
	Resources *Resources `json:"resources,omitempty"`
	// LogLevel is the Envoy log level.
	LogLevel string `json:"logLevel"`
}

// Resources are container compute requests and limits, as Kubernetes
// quantity strings keyed by resource name ("cpu", "memory").
type Resources struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

// Protocol is a transport protocol.
type Protocol string

const (
	// ProtocolTCP is TCP.
	ProtocolTCP Protocol = "TCP"
)

// ProxyListener is one port the fleet exposes.
type ProxyListener struct {
	// Name is unique within the fleet, usable as a Kubernetes port name
	// (at most 15 characters, lower-case alphanumerics and '-').
	Name string `json:"name"`
	// Port is the port users connect to (the Gateway listener port, the Service port).
	Port uint32 `json:"port"`
	// ContainerPort is the port Envoy binds; ports below 1024 are shifted by
	// 10000 so Envoy runs without privileges.
	ContainerPort uint32   `json:"containerPort"`
	Protocol      Protocol `json:"protocol"`
}

// Validate checks the fleet description.
func (i *Infra) Validate() error {
	if i == nil || i.Proxy == nil {
		return errors.New("infra ir has no proxy")
	}
	p := i.Proxy
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("proxy.name is empty"))
	}
	if p.Config.Replicas < 0 {
		errs = append(errs, fmt.Errorf("proxy.config.replicas %d is negative", p.Config.Replicas))
	}
	if p.Config.Image == "" {
		errs = append(errs, errors.New("proxy.config.image is empty"))
	}
	switch p.Config.ServiceType {
	case "LoadBalancer", "NodePort", "ClusterIP":
	default:
		errs = append(errs, fmt.Errorf("proxy.config.serviceType %q is not LoadBalancer, NodePort or ClusterIP", p.Config.ServiceType))
	}
	for idx, a := range p.Addresses {
		if _, err := netip.ParseAddr(a); err != nil {
			errs = append(errs, fmt.Errorf("proxy.addresses[%d]: %q is not an IP address", idx, a))
		}
	}
	ports := map[uint32]bool{}
	names := map[string]bool{}
	for idx, l := range p.Listeners {
		switch {
		case l.Name == "" || len(l.Name) > 15:
			errs = append(errs, fmt.Errorf("proxy.listeners[%d]: name %q must be 1-15 characters", idx, l.Name))
		case names[l.Name]:
			errs = append(errs, fmt.Errorf("proxy.listeners[%d]: duplicate name %q", idx, l.Name))
		case ports[l.Port]:
			errs = append(errs, fmt.Errorf("proxy.listeners[%d]: duplicate port %d", idx, l.Port))
		case l.Port == 0 || l.Port > 65535 || l.ContainerPort == 0 || l.ContainerPort > 65535:
			errs = append(errs, fmt.Errorf("proxy.listeners[%d]: ports must be in 1-65535", idx))
		}
		names[l.Name] = true
		ports[l.Port] = true
	}
	return errors.Join(errs...)
}

// Container ports Envoy binds in every Kubernetes fleet besides its
// listeners' (infra/render): no listener may use them.
const (
	// AdminContainerPort is Envoy's admin listener.
	AdminContainerPort uint32 = 19000
	// ReadyContainerPort is Envoy's readiness listener.
	ReadyContainerPort uint32 = 19001
)

// ReservedContainerPort says which of Envoy's own listeners binds a
// container port, "" when a fleet listener may use it.
func ReservedContainerPort(port uint32) string {
	switch port {
	case AdminContainerPort:
		return "admin listener"
	case ReadyContainerPort:
		return "readiness listener"
	}
	return ""
}

// ContainerPort returns the port Envoy binds for a listener port: ports below
// 1024 are shifted by 10000 so Envoy needs no privilege to bind them.
func ContainerPort(port uint32) uint32 {
	if port < 1024 {
		return port + 10000
	}
	return port
}
