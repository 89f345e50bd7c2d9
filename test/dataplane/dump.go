package dataplane

import (
	"net/http"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// ConfigDump returns what the proxy holds in Envoy's admin format: the
// bootstrap, the active clusters, listeners, route configurations and
// secrets (private keys redacted), and with includeEDS the endpoint
// assignments.
func (p *Proxy) ConfigDump(includeEDS bool) (*adminv3.ConfigDump, error) {
	var msgs []proto.Message
	msgs = append(msgs, &adminv3.BootstrapConfigDump{Bootstrap: p.bootstrap})
	clusters := &adminv3.ClustersConfigDump{}
	for _, c := range p.clusters.Clusters() {
		clusters.DynamicActiveClusters = append(clusters.DynamicActiveClusters, &adminv3.ClustersConfigDump_DynamicCluster{
			Cluster: mustAny(c),
		})
	}
	msgs = append(msgs, clusters)
	if includeEDS {
		eds := &adminv3.EndpointsConfigDump{}
		for _, a := range p.clusters.Assignments() {
			eds.DynamicEndpointConfigs = append(eds.DynamicEndpointConfigs,
				&adminv3.EndpointsConfigDump_DynamicEndpointConfig{EndpointConfig: mustAny(a)})
		}
		msgs = append(msgs, eds)
	}
	listeners := &adminv3.ListenersConfigDump{}
	for _, l := range p.listeners.Listeners() {
		listeners.DynamicListeners = append(listeners.DynamicListeners, &adminv3.ListenersConfigDump_DynamicListener{
			Name: l.GetName(), ActiveState: &adminv3.ListenersConfigDump_DynamicListenerState{Listener: mustAny(l)},
		})
	}
	msgs = append(msgs, listeners)
	routes := &adminv3.RoutesConfigDump{}
	for _, r := range p.routes.all() {
		routes.DynamicRouteConfigs = append(routes.DynamicRouteConfigs,
			&adminv3.RoutesConfigDump_DynamicRouteConfig{RouteConfig: mustAny(r)})
	}
	msgs = append(msgs, routes)
	secrets := &adminv3.SecretsConfigDump{}
	for _, s := range p.secrets.all() {
		secrets.DynamicActiveSecrets = append(secrets.DynamicActiveSecrets,
			&adminv3.SecretsConfigDump_DynamicSecret{Name: s.GetName(), Secret: mustAny(redact(s))})
	}
	msgs = append(msgs, secrets)
	dump := &adminv3.ConfigDump{}
	for _, m := range msgs {
		a, err := anypb.New(m)
		if err != nil {
			return nil, err
		}
		dump.Configs = append(dump.Configs, a)
	}
	return dump, nil
}

// redact replaces a secret's private key, as Envoy's config dump does.
func redact(s *tlsv3.Secret) *tlsv3.Secret {
	c := proto.Clone(s).(*tlsv3.Secret)
	if tc := c.GetTlsCertificate(); tc != nil && tc.GetPrivateKey() != nil {
		tc.PrivateKey = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: "[redacted]"}}
	}
	return c
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		// Only messages of linked types reach here.
		return &anypb.Any{}
	}
	return a
}

// serveConfigDump is the admin /config_dump (?include_eds adds the
// endpoint assignments).
func (p *Proxy) serveConfigDump(w http.ResponseWriter, r *http.Request) {
	dump, err := p.ConfigDump(r.URL.Query().Has("include_eds"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(dump)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
