package bootstrap

import (
	"bytes"
	"strings"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	healthcheckv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"sigs.k8s.io/yaml"
)

var clientTLS = ClientTLS{CertFile: "/c/tls.crt", KeyFile: "/c/tls.key", CAFile: "/c/ca.crt"}

// options are valid Options with the xDS target and readiness listener of a test.
func options(xds Xds, ready *Ready) Options {
	xds.Port = 18000
	xds.ConnectTimeout = 5 * time.Second
	return Options{
		Fleet:  "default/eg",
		NodeID: "default/eg/node",
		Xds:    xds,
		Admin:  Address{Host: "127.0.0.1", Port: 19000},
		Ready:  ready,
	}
}

// wantTLS is the expected client TLS context; sni and san may be empty.
func wantTLS(sni, san string) *tlsv3.UpstreamTlsContext {
	validation := &tlsv3.CertificateValidationContext{TrustedCa: fileSource("/c/ca.crt")}
	if san != "" {
		validation.MatchTypedSubjectAltNames = []*tlsv3.SubjectAltNameMatcher{{
			SanType: tlsv3.SubjectAltNameMatcher_DNS, Matcher: exact(san),
		}}
	}
	return &tlsv3.UpstreamTlsContext{
		Sni: sni,
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsParams: &tlsv3.TlsParameters{
				TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_3,
				TlsMaximumProtocolVersion: tlsv3.TlsParameters_TLSv1_3,
			},
			TlsCertificates: []*tlsv3.TlsCertificate{{
				CertificateChain: fileSource("/c/tls.crt"),
				PrivateKey:       fileSource("/c/tls.key"),
			}},
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: validation},
		},
	}
}

func TestBuild(t *testing.T) {
	withSAN := clientTLS
	withSAN.ServerSAN = "eg.example.svc"
	ready := &Ready{Address: Address{Host: "0.0.0.0", Port: 19001}, Path: "/ready"}
	tests := []struct {
		name     string
		opts     Options
		wantType clusterv3.Cluster_DiscoveryType
		wantTLS  *tlsv3.UpstreamTlsContext // nil: plaintext
	}{
		{
			name:     "plaintext, IPv4 host",
			opts:     options(Xds{Host: "127.0.0.1"}, nil),
			wantType: clusterv3.Cluster_STATIC,
		},
		{
			name:     "plaintext, DNS host",
			opts:     options(Xds{Host: "localhost"}, nil),
			wantType: clusterv3.Cluster_STRICT_DNS,
		},
		{
			name:     "mTLS, DNS host is the SNI",
			opts:     options(Xds{Host: "eg.example.svc", TLS: &clientTLS}, nil),
			wantType: clusterv3.Cluster_STRICT_DNS,
			wantTLS:  wantTLS("eg.example.svc", ""),
		},
		{
			name:     "mTLS, IPv6 host has no SNI",
			opts:     options(Xds{Host: "::1", TLS: &clientTLS}, nil),
			wantType: clusterv3.Cluster_STATIC,
			wantTLS:  wantTLS("", ""),
		},
		{
			name:     "mTLS with server SAN and readiness listener",
			opts:     options(Xds{Host: "10.0.0.7", TLS: &withSAN}, ready),
			wantType: clusterv3.Cluster_STATIC,
			wantTLS:  wantTLS("", "eg.example.svc"),
		},
		{
			name:     "plaintext with readiness listener",
			opts:     options(Xds{Host: "eg.example.svc"}, ready),
			wantType: clusterv3.Cluster_STRICT_DNS,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Build(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.ValidateAll(); err != nil {
				t.Fatalf("ValidateAll: %v", err)
			}
			checkCommon(t, b, tt.opts)
			xds := b.GetStaticResources().GetClusters()[0]
			if xds.GetType() != tt.wantType {
				t.Errorf("xds cluster type = %v, want %v", xds.GetType(), tt.wantType)
			}
			checkTLS(t, xds, tt.wantTLS)
			checkReady(t, b, tt.opts.Ready)
			checkYAML(t, b)
		})
	}
}

// checkCommon checks what every bootstrap has: node, admin, ADS and the
// xDS cluster's endpoint.
func checkCommon(t *testing.T, b *bootstrapv3.Bootstrap, opts Options) {
	t.Helper()
	if b.GetNode().GetCluster() != opts.Fleet || b.GetNode().GetId() != opts.NodeID {
		t.Errorf("node = %v, want cluster %q id %q", b.GetNode(), opts.Fleet, opts.NodeID)
	}
	if diff := cmp.Diff(socketAddress(opts.Admin), b.GetAdmin().GetAddress(), protocmp.Transform()); diff != "" {
		t.Errorf("admin address (-want +got):\n%s", diff)
	}
	dyn := b.GetDynamicResources()
	if got := dyn.GetAdsConfig().GetGrpcServices()[0].GetEnvoyGrpc().GetClusterName(); got != XdsClusterName {
		t.Errorf("ADS cluster = %q", got)
	}
	if dyn.GetLdsConfig().GetAds() == nil || dyn.GetCdsConfig().GetAds() == nil {
		t.Errorf("LDS and CDS must come over ADS: %v", dyn)
	}
	clusters := b.GetStaticResources().GetClusters()
	if len(clusters) != 1 || clusters[0].GetName() != XdsClusterName {
		t.Fatalf("static clusters = %v, want only %s", clusters, XdsClusterName)
	}
	ep := clusters[0].GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress()
	if diff := cmp.Diff(socketAddress(Address{Host: opts.Xds.Host, Port: opts.Xds.Port}), ep, protocmp.Transform()); diff != "" {
		t.Errorf("xds endpoint (-want +got):\n%s", diff)
	}
	if got := clusters[0].GetConnectTimeout().AsDuration(); got != opts.Xds.ConnectTimeout {
		t.Errorf("connect timeout = %s, want %s", got, opts.Xds.ConnectTimeout)
	}
}

func checkTLS(t *testing.T, xds *clusterv3.Cluster, want *tlsv3.UpstreamTlsContext) {
	t.Helper()
	if want == nil {
		if xds.GetTransportSocket() != nil {
			t.Errorf("plaintext xds cluster has a transport socket: %v", xds.GetTransportSocket())
		}
		return
	}
	got := &tlsv3.UpstreamTlsContext{}
	if err := xds.GetTransportSocket().GetTypedConfig().UnmarshalTo(got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("TLS context (-want +got):\n%s", diff)
	}
}

func checkReady(t *testing.T, b *bootstrapv3.Bootstrap, want *Ready) {
	t.Helper()
	listeners := b.GetStaticResources().GetListeners()
	if want == nil {
		if len(listeners) != 0 {
			t.Errorf("listeners = %v, want none", listeners)
		}
		return
	}
	if len(listeners) != 1 || listeners[0].GetName() != ReadyListenerName {
		t.Fatalf("listeners = %v, want only %s", listeners, ReadyListenerName)
	}
	l := listeners[0]
	if diff := cmp.Diff(socketAddress(want.Address), l.GetAddress(), protocmp.Transform()); diff != "" {
		t.Errorf("readiness address (-want +got):\n%s", diff)
	}
	hcm := &hcmv3.HttpConnectionManager{}
	if err := l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
		t.Fatal(err)
	}
	health := &healthcheckv3.HealthCheck{}
	if err := hcm.GetHttpFilters()[0].GetTypedConfig().UnmarshalTo(health); err != nil {
		t.Fatal(err)
	}
	if health.GetPassThroughMode().GetValue() || health.GetHeaders()[0].GetStringMatch().GetExact() != want.Path {
		t.Errorf("health_check = %v, want path %q without pass-through", health, want.Path)
	}
}

// checkYAML checks that YAML is deterministic and reads back as the same
// bootstrap.
func checkYAML(t *testing.T, b *bootstrapv3.Bootstrap) {
	t.Helper()
	y, err := YAML(b)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := YAML(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, y) {
			t.Fatal("YAML differs between two renderings of the same bootstrap")
		}
	}
	js, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	back := &bootstrapv3.Bootstrap{}
	if err := protojson.Unmarshal(js, back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, back, protocmp.Transform()); diff != "" {
		t.Errorf("YAML round trip (-built +read):\n%s", diff)
	}
}

func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Options)
		wantErr string
	}{
		{"xDS port 0", func(o *Options) { o.Xds.Port = 0 }, "xDS port is 0"},
		{"no connect timeout", func(o *Options) { o.Xds.ConnectTimeout = 0 }, "ConnectTimeout"},
		{"empty readiness path", func(o *Options) { o.Ready = &Ready{Address: Address{Host: "0.0.0.0", Port: 19001}} }, "readiness path"},
		{"empty xDS host", func(o *Options) { o.Xds.Host = "" }, "invalid bootstrap"},
		{"empty certificate file", func(o *Options) { o.Xds.TLS = &ClientTLS{KeyFile: "k", CAFile: "ca"} }, "certificate, key or CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := options(Xds{Host: "127.0.0.1"}, nil)
			tt.mutate(&opts)
			_, err := Build(opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Build error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
