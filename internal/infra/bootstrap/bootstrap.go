package bootstrap

import (
	"errors"
	"fmt"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

// Names of the static resources of every bootstrap.
const (
	// XdsClusterName is the static cluster of the xDS server.
	XdsClusterName = "xds_cluster"
	// ReadyListenerName is the static readiness listener.
	ReadyListenerName = "envoy-ready"
)

// Address is a host (IP address or DNS name) and a port.
type Address struct {
	Host string
	Port uint32
}

// ClientTLS names the PEM files Envoy presents to, and verifies, the xDS
// server with (mutual TLS 1.3).
type ClientTLS struct {
	CertFile string
	KeyFile  string
	CAFile   string
	// ServerSAN, when set, is the DNS subject alternative name Envoy
	// requires in the server certificate; when empty Envoy only checks that
	// the certificate chains to CAFile.
	ServerSAN string
}

// Xds is where, and how, Envoy reaches the xDS server.
type Xds struct {
	// Host is an IP address (a STATIC cluster) or a DNS name (a STRICT_DNS
	// cluster, and the SNI under TLS).
	Host string
	Port uint32
	// ConnectTimeout bounds each connection attempt; it must be positive.
	ConnectTimeout time.Duration
	// TLS is nil for a plaintext connection.
	TLS *ClientTLS
}

// Ready is a static listener answering Path with Envoy's health_check
// filter: 200 while the server is live, 503 while it drains or fails.
type Ready struct {
	Address Address
	Path    string
}

// Options are the inputs of a fleet's bootstrap.
type Options struct {
	// Fleet is the fleet name, presented as the node cluster: the xDS
	// server picks the fleet's snapshot by it.
	Fleet string
	// NodeID identifies the proxy (Envoy's --service-node overrides it).
	NodeID string
	Xds    Xds
	// Admin is the admin interface's address; port 0 lets Envoy pick one.
	Admin Address
	// Ready is nil for no readiness listener.
	Ready *Ready
}

// Build returns a fleet's Envoy bootstrap: LDS and CDS over ADS (gRPC, state
// of the world) to the xDS server, the admin interface on opts.Admin and,
// when asked, the readiness listener. The result passes ValidateAll.
func Build(opts Options) (*bootstrapv3.Bootstrap, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("invalid bootstrap options for fleet %q: %w", opts.Fleet, err)
	}
	xds, err := xdsCluster(opts.Xds)
	if err != nil {
		return nil, err
	}
	static := &bootstrapv3.Bootstrap_StaticResources{Clusters: []*clusterv3.Cluster{xds}}
	if opts.Ready != nil {
		ready, err := readyListener(*opts.Ready)
		if err != nil {
			return nil, err
		}
		static.Listeners = []*listenerv3.Listener{ready}
	}
	b := &bootstrapv3.Bootstrap{
		Node:  &corev3.Node{Id: opts.NodeID, Cluster: opts.Fleet},
		Admin: &bootstrapv3.Admin{Address: socketAddress(opts.Admin)},
		DynamicResources: &bootstrapv3.Bootstrap_DynamicResources{
			AdsConfig: adsConfig(),
			LdsConfig: adsSource(),
			CdsConfig: adsSource(),
		},
		StaticResources: static,
	}
	if err := b.ValidateAll(); err != nil {
		return nil, fmt.Errorf("invalid bootstrap for fleet %q: %w", opts.Fleet, err)
	}
	return b, nil
}

// validate rejects what ValidateAll lets through (it does not look inside
// typed configs) but Envoy could not use.
func (o Options) validate() error {
	var errs []error
	if o.Xds.Port == 0 {
		errs = append(errs, errors.New("xDS port is 0"))
	}
	if t := o.Xds.TLS; t != nil && (t.CertFile == "" || t.KeyFile == "" || t.CAFile == "") {
		errs = append(errs, errors.New("xDS client TLS lacks a certificate, key or CA file"))
	}
	if o.Ready != nil && o.Ready.Path == "" {
		errs = append(errs, errors.New("readiness path is empty"))
	}
	return errors.Join(errs...)
}

// YAML renders a bootstrap as YAML with sorted keys, so the same bootstrap
// always gives the same bytes (protojson alone does not promise that).
func YAML(b *bootstrapv3.Bootstrap) ([]byte, error) {
	js, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("marshalling bootstrap: %w", err)
	}
	out, err := yaml.JSONToYAML(js)
	if err != nil {
		return nil, fmt.Errorf("converting bootstrap to yaml: %w", err)
	}
	return out, nil
}
