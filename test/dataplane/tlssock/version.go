package tlssock

import (
	"crypto/tls"
	"fmt"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Envoy's defaults when a bound is TLS_AUTO.
const (
	clientMinDefault = tls.VersionTLS12
	clientMaxDefault = tls.VersionTLS12
	serverMinDefault = tls.VersionTLS12
	serverMaxDefault = tls.VersionTLS13
)

var versions = map[tlsv3.TlsParameters_TlsProtocol]uint16{
	tlsv3.TlsParameters_TLSv1_0: tls.VersionTLS10,
	tlsv3.TlsParameters_TLSv1_1: tls.VersionTLS11,
	tlsv3.TlsParameters_TLSv1_2: tls.VersionTLS12,
	tlsv3.TlsParameters_TLSv1_3: tls.VersionTLS13,
}

// versionRange returns the protocol bounds of p with the given defaults
// for TLS_AUTO; min above max is an error, as in Envoy.
func versionRange(p *tlsv3.TlsParameters, minDefault, maxDefault uint16, path string) (lo, hi uint16, err error) {
	lo, hi = minDefault, maxDefault
	if v, ok := versions[p.GetTlsMinimumProtocolVersion()]; ok {
		lo = v
	}
	if v, ok := versions[p.GetTlsMaximumProtocolVersion()]; ok {
		hi = v
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("%s: invalid: tls_minimum_protocol_version %s is above tls_maximum_protocol_version %s",
			path, tls.VersionName(lo), tls.VersionName(hi))
	}
	return lo, hi, nil
}
