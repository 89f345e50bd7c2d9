package render

import (
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

func validInfra() *ir.Infra {
	return &ir.Infra{Proxy: &ir.ProxyInfra{
		Name:         "default/eg",
		GatewayClass: "eg",
		Gateways:     []string{"default/eg"},
		Config: ir.ProxyConfig{
			ServiceType: "LoadBalancer",
			Replicas:    1,
			Image:       "envoy:test",
			LogLevel:    "warn",
		},
		Listeners: []*ir.ProxyListener{{Name: "http-80", Port: 80, ContainerPort: 10080, Protocol: ir.ProtocolTCP}},
	}}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*ir.Infra, *Options)
		wantErr string
	}{
		{name: "invalid ir", mutate: func(i *ir.Infra, _ *Options) { i.Proxy.Config.Image = "" }, wantErr: "image is empty"},
		{name: "nil proxy", mutate: func(i *ir.Infra, _ *Options) { i.Proxy = nil }, wantErr: "no proxy"},
		{name: "no namespace", mutate: func(_ *ir.Infra, o *Options) { o.Namespace = "" }, wantErr: "namespace"},
		{name: "no xds host", mutate: func(_ *ir.Infra, o *Options) { o.XdsHost = "" }, wantErr: "xDS host"},
		{name: "bad xds port", mutate: func(_ *ir.Infra, o *Options) { o.XdsPort = 70000 }, wantErr: "xDS port"},
		{name: "no client secret", mutate: func(_ *ir.Infra, o *Options) { o.ClientCertSecret = "" }, wantErr: "client certificate secret"},
		{
			name:    "admin port",
			mutate:  func(i *ir.Infra, _ *Options) { i.Proxy.Listeners[0].ContainerPort = AdminPort },
			wantErr: "reserved",
		},
		{
			name:    "ready port",
			mutate:  func(i *ir.Infra, _ *Options) { i.Proxy.Listeners[0].ContainerPort = ReadyPort },
			wantErr: "reserved",
		},
		{
			name:    "ready port name",
			mutate:  func(i *ir.Infra, _ *Options) { i.Proxy.Listeners[0].Name = "ready" },
			wantErr: "reserved",
		},
		{
			name:    "infrastructure label on a fleet label",
			mutate:  func(i *ir.Infra, _ *Options) { i.Proxy.Labels = map[string]string{LabelFleet: "other"} },
			wantErr: `infrastructure label "gateway.envoyproxy.io/fleet" is reserved`,
		},
		{
			name:    "infrastructure annotation on the bootstrap hash",
			mutate:  func(i *ir.Infra, _ *Options) { i.Proxy.Annotations = map[string]string{AnnotationBootstrapHash: "x"} },
			wantErr: "is reserved",
		},
		{
			name: "bad quantity",
			mutate: func(i *ir.Infra, _ *Options) {
				i.Proxy.Config.Resources = &ir.Resources{Limits: map[string]string{"memory": "lots"}}
			},
			wantErr: `resources.limits: memory "lots"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			infra, opts := validInfra(), DefaultOptions("envoy-gateway-system")
			tt.mutate(infra, &opts)
			_, err := Render(infra, opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Render error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestBootstrapConfigMapParses checks that the ConfigMap holds a bootstrap
// Envoy can read: the YAML converts back into a valid Bootstrap proto.
func TestBootstrapConfigMapParses(t *testing.T) {
	objs, err := Render(validInfra(), DefaultOptions("envoy-gateway-system"))
	if err != nil {
		t.Fatal(err)
	}
	b := parseBootstrap(t, objs.ConfigMap.Data[BootstrapKey])
	if got := b.GetNode().GetCluster(); got != "default/eg" {
		t.Errorf("node.cluster = %q, want the fleet name", got)
	}
	if got := b.GetAdmin().GetAddress().GetSocketAddress().GetAddress(); got != AdminAddress {
		t.Errorf("admin address = %q, want loopback", got)
	}
}

func TestBootstrapOptions(t *testing.T) {
	opts := DefaultOptions("eg")
	opts.XdsHost = "10.0.0.7"
	opts.XdsServerSAN = "envoy-gateway-controller-manager.eg.svc"
	objs, err := Render(validInfra(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b := parseBootstrap(t, objs.ConfigMap.Data[BootstrapKey])
	xds := b.GetStaticResources().GetClusters()[0]
	if got := xds.GetType().String(); got != "STATIC" {
		t.Errorf("xds cluster type for an IP = %s, want STATIC", got)
	}
	tlsCtx := &tlsv3.UpstreamTlsContext{}
	if err := xds.GetTransportSocket().GetTypedConfig().UnmarshalTo(tlsCtx); err != nil {
		t.Fatal(err)
	}
	if tlsCtx.GetSni() != "" {
		t.Errorf("sni = %q, want none for an IP address", tlsCtx.GetSni())
	}
	sans := tlsCtx.GetCommonTlsContext().GetValidationContext().GetMatchTypedSubjectAltNames()
	if len(sans) != 1 || sans[0].GetMatcher().GetExact() != opts.XdsServerSAN {
		t.Errorf("server SAN matchers = %v, want %q", sans, opts.XdsServerSAN)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	opts := DefaultOptions("envoy-gateway-system")
	first, err := Render(validInfra(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := Render(validInfra(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if again.ConfigMap.Data[BootstrapKey] != first.ConfigMap.Data[BootstrapKey] {
			t.Fatal("bootstrap differs between two renders of the same IR")
		}
	}
}

func parseBootstrap(t *testing.T, y string) *bootstrapv3.Bootstrap {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	b := &bootstrapv3.Bootstrap{}
	if err := protojson.Unmarshal(js, b); err != nil {
		t.Fatalf("bootstrap does not parse: %v", err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("bootstrap is invalid: %v", err)
	}
	return b
}
