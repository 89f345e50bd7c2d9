package host

import (
	"path/filepath"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"

	"github.com/envoygw/envoy-gateway/internal/infra/bootstrap"
)

// xdsConnectTimeout bounds each connection attempt to the xDS server.
const xdsConnectTimeout = 5 * time.Second

// ClientTLS names the PEM files Envoy presents to, and verifies, the xDS
// server with (mutual TLS).
type ClientTLS = bootstrap.ClientTLS

// XdsTarget is where the proxies reach the xDS server.
type XdsTarget struct {
	// Host is an IP address or a DNS name.
	Host string
	Port uint32
	// TLS is nil for a plaintext connection.
	TLS *ClientTLS
}

// BootstrapOptions are the inputs of a fleet's bootstrap.
type BootstrapOptions struct {
	// Fleet is the fleet name, presented as the node cluster.
	Fleet string
	// NodeID identifies the proxy.
	NodeID string
	Xds    XdsTarget
}

// Bootstrap returns a fleet's Envoy bootstrap (see package bootstrap) with
// the admin interface on a loopback port chosen by Envoy (written to the
// file named by --admin-address-path) and no readiness listener: the
// manager probes the admin /ready. The result passes ValidateAll.
func Bootstrap(opts BootstrapOptions) (*bootstrapv3.Bootstrap, error) {
	return bootstrap.Build(bootstrap.Options{
		Fleet:  opts.Fleet,
		NodeID: opts.NodeID,
		Xds: bootstrap.Xds{
			Host:           opts.Xds.Host,
			Port:           opts.Xds.Port,
			ConnectTimeout: xdsConnectTimeout,
			TLS:            opts.Xds.TLS,
		},
		Admin: bootstrap.Address{Host: "127.0.0.1", Port: 0},
	})
}

// ClientTLSFor returns the proxies' client certificate files that go with
// the xDS server's certificate, in the layout `envoy-gateway certgen`
// writes: <dir>/server/tls.crt for the server, <dir>/client/{tls.crt,
// tls.key,ca.crt} for the proxies.
func ClientTLSFor(serverCertFile string) *ClientTLS {
	dir := filepath.Join(filepath.Dir(filepath.Dir(serverCertFile)), "client")
	return &ClientTLS{
		CertFile: filepath.Join(dir, "tls.crt"),
		KeyFile:  filepath.Join(dir, "tls.key"),
		CAFile:   filepath.Join(dir, "ca.crt"),
	}
}
