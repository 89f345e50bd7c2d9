package upstream

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
)

// Health is a host's health as the load balancer sees it.
type Health int

// Health values.
const (
	Healthy Health = iota
	Degraded
	Unhealthy
	Excluded
)

// Host is one upstream host.
type Host struct {
	// Address is host:port, an IP address.
	Address string
	Weight  uint32
	Health  Health
	// Locality is region/zone/sub_zone, for diagnostics.
	Locality string
}

// endpointSpec is one lb_endpoint before resolution: Host is an IP
// address, or a hostname for STRICT_DNS.
type endpointSpec struct {
	host     string
	port     uint32
	weight   uint32
	health   Health
	locality string
}

// parseAssignment validates a ClusterLoadAssignment (paths relative to
// prefix) and returns its endpoints. ipOnly rejects hostnames (EDS and
// STATIC clusters, as Envoy).
func parseAssignment(cla *endpointv3.ClusterLoadAssignment, ipOnly bool, prefix string) ([]endpointSpec, error) {
	var out []endpointSpec
	for i, l := range cla.GetEndpoints() {
		loc := fmt.Sprintf("%s/%s/%s", l.GetLocality().GetRegion(), l.GetLocality().GetZone(), l.GetLocality().GetSubZone())
		for j, e := range l.GetLbEndpoints() {
			path := fmt.Sprintf("%sendpoints[%d].lb_endpoints[%d]", prefix, i, j)
			spec, err := parseEndpoint(e, ipOnly, path)
			if err != nil {
				return nil, err
			}
			spec.locality = loc
			out = append(out, spec)
		}
	}
	return out, nil
}

func parseEndpoint(e *endpointv3.LbEndpoint, ipOnly bool, path string) (endpointSpec, error) {
	sa := e.GetEndpoint().GetAddress().GetSocketAddress()
	if sa == nil {
		return endpointSpec{}, fmt.Errorf("%s.endpoint.address: invalid: a socket address is required", path)
	}
	spec := endpointSpec{host: sa.GetAddress(), port: sa.GetPortValue(), weight: 1, health: health(e.GetHealthStatus())}
	if w := e.GetLoadBalancingWeight(); w != nil {
		spec.weight = w.GetValue()
	}
	if ipOnly {
		if _, err := parseIP(spec.host); err != nil {
			return endpointSpec{}, fmt.Errorf("%s.endpoint.address.socket_address.address: %w", path, err)
		}
	}
	return spec, nil
}

// parseIP accepts what Envoy's IP address parser accepts: an IPv4 dotted
// quad or an IPv6 address, without zone.
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("malformed IP address: %s", s)
	}
	return a, nil
}

func health(s corev3.HealthStatus) Health {
	switch s {
	case corev3.HealthStatus_DEGRADED:
		return Degraded
	case corev3.HealthStatus_UNHEALTHY, corev3.HealthStatus_TIMEOUT:
		return Unhealthy
	case corev3.HealthStatus_DRAINING:
		return Excluded
	}
	return Healthy
}

func hostPort(host string, port uint32) string {
	return net.JoinHostPort(host, strconv.FormatUint(uint64(port), 10))
}

// hostsOf turns IP endpoints into hosts.
func hostsOf(specs []endpointSpec) []*Host {
	out := make([]*Host, 0, len(specs))
	for _, s := range specs {
		out = append(out, &Host{Address: hostPort(s.host, s.port), Weight: s.weight, Health: s.health, Locality: s.locality})
	}
	return out
}
