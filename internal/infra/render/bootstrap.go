package render

import (
	"path"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"

	"github.com/envoygw/envoy-gateway/internal/infra/bootstrap"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Where Envoy finds its files and what it listens on besides the fleet's
// listeners. AdminPort and ReadyPort are reserved: no listener may use them
// as its container port.
const (
	// BootstrapKey is the ConfigMap key, and file name, of the bootstrap.
	BootstrapKey = "envoy.yaml"
	// BootstrapDir is where the bootstrap ConfigMap is mounted.
	BootstrapDir = "/etc/envoy"
	// ClientCertDir is where the xDS client certificate Secret is mounted.
	ClientCertDir = "/certs/xds/client"
	// AdminAddress is the admin listener's address: loopback only.
	AdminAddress = "127.0.0.1"
	// AdminPort is the admin listener's port.
	AdminPort = ir.AdminContainerPort
	// ReadyPort is the port of the static readiness listener.
	ReadyPort = ir.ReadyContainerPort
	// ReadyPath is the readiness path served on ReadyPort: 200 once Envoy
	// has initialized (its listeners only start after the first xDS fetch),
	// 503 while it drains or fails health checks.
	ReadyPath = "/ready"
)

// xdsConnectTimeout bounds each connection attempt to the xDS Service.
const xdsConnectTimeout = 10 * time.Second

// BootstrapPath is the path of the bootstrap file in the Envoy container.
var BootstrapPath = path.Join(BootstrapDir, BootstrapKey)

// Bootstrap returns the Envoy bootstrap of a fleet (see package bootstrap):
// node cluster = fleet name (the node id comes from the Pod name via
// --service-node), mutual TLS to the xDS Service using the client
// certificate Secret mounted at ClientCertDir (and XdsServerSAN when set),
// the admin interface on loopback only, and a readiness listener on
// ReadyPort. The result passes ValidateAll.
func Bootstrap(p *ir.ProxyInfra, opts Options) (*bootstrapv3.Bootstrap, error) {
	return bootstrap.Build(bootstrap.Options{
		Fleet: p.Name,
		// Overridden by --service-node with the Pod name.
		NodeID: ResourceName(p.Name),
		Xds: bootstrap.Xds{
			Host:           opts.XdsHost,
			Port:           opts.XdsPort,
			ConnectTimeout: xdsConnectTimeout,
			TLS: &bootstrap.ClientTLS{
				CertFile:  path.Join(ClientCertDir, "tls.crt"),
				KeyFile:   path.Join(ClientCertDir, "tls.key"),
				CAFile:    path.Join(ClientCertDir, "ca.crt"),
				ServerSAN: opts.XdsServerSAN,
			},
		},
		Admin: bootstrap.Address{Host: AdminAddress, Port: AdminPort},
		Ready: &bootstrap.Ready{Address: bootstrap.Address{Host: "0.0.0.0", Port: ReadyPort}, Path: ReadyPath},
	})
}

// bootstrapYAML is the fleet's bootstrap as rendered into its ConfigMap.
func bootstrapYAML(p *ir.ProxyInfra, opts Options) (string, error) {
	b, err := Bootstrap(p, opts)
	if err != nil {
		return "", err
	}
	y, err := bootstrap.YAML(b)
	return string(y), err
}
