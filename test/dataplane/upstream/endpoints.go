package upstream

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

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
	// pipe is the unix socket path of a pipe endpoint (host and port
	// unset then).
	pipe     string
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
	if pipe := e.GetEndpoint().GetAddress().GetPipe(); pipe != nil {
		if !ipOnly {
			return endpointSpec{}, fmt.Errorf("%s.endpoint.address: invalid: a STRICT_DNS cluster needs socket addresses", path)
		}
		return endpointSpec{pipe: pipe.GetPath(), weight: weightOf(e), health: health(e.GetHealthStatus())}, nil
	}
	sa := e.GetEndpoint().GetAddress().GetSocketAddress()
	if sa == nil {
		return endpointSpec{}, fmt.Errorf("%s.endpoint.address: invalid: a socket address is required", path)
	}
	spec := endpointSpec{host: sa.GetAddress(), port: sa.GetPortValue(), weight: weightOf(e),
		health: health(e.GetHealthStatus())}
	if ipOnly {
		if _, err := parseIP(spec.host); err != nil {
			return endpointSpec{}, fmt.Errorf("%s.endpoint.address.socket_address.address: %w", path, err)
		}
	}
	return spec, nil
}

// weightOf is an endpoint's load_balancing_weight, 1 when unset.
func weightOf(e *endpointv3.LbEndpoint) uint32 {
	if w := e.GetLoadBalancingWeight(); w != nil {
		return w.GetValue()
	}
	return 1
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

// hostsOf turns IP and pipe endpoints into hosts.
func hostsOf(specs []endpointSpec) []*Host {
	out := make([]*Host, 0, len(specs))
	for _, s := range specs {
		addr := hostPort(s.host, s.port)
		if s.pipe != "" {
			addr = pipeAddress(s.pipe)
		}
		out = append(out, &Host{Address: addr, Weight: s.weight, Health: s.health, Locality: s.locality})
	}
	return out
}

// pipeSuffix ends the host name standing for a unix socket in a host
// address (URLs of the connection pools need a host name, not a path).
const pipeSuffix = ".pipe"

// pipeAddress is the host address of a unix socket: its path hex-encoded
// as a host name, port 0.
func pipeAddress(path string) string {
	return hostPort(hex.EncodeToString([]byte(path))+pipeSuffix, 0)
}

// pipePath returns the unix socket path of a host address made by
// pipeAddress.
func pipePath(addr string) (string, bool) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !strings.HasSuffix(host, pipeSuffix) {
		return "", false
	}
	b, err := hex.DecodeString(strings.TrimSuffix(host, pipeSuffix))
	if err != nil {
		return "", false
	}
	return string(b), true
}
