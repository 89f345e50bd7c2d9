package translator

import (
	"maps"
	"slices"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/envoygw/envoy-gateway/internal/protovalidate"
)

// TestGoldenResourcesAreValid runs ValidateAll on every resource of every
// golden case, including the typed configs inside Any fields, and checks
// that the resources refer only to each other.
func TestGoldenResourcesAreValid(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			res, err := Translate(loadIR(t, name))
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			for _, k := range goldenKinds {
				for _, m := range k.got(res) {
					if err := protovalidate.Deep(m); err != nil {
						t.Errorf("%s: %v", k.suffix, err)
					}
				}
			}
			checkReferences(t, res)
			// Resources.Validate only unpacks Any fields of listeners,
			// routes and clusters; keep the other types free of them.
			for _, k := range goldenKinds {
				if k.suffix == "listeners" || k.suffix == "routes" || k.suffix == "clusters" {
					continue
				}
				for _, m := range k.got(res) {
					protovalidate.EachAny(m, func(a *anypb.Any) {
						t.Errorf("%s: unexpected Any %s; make Resources.Validate look inside it", k.suffix, a.GetTypeUrl())
					})
				}
			}
		})
	}
}

// checkReferences checks that every RouteConfiguration, cluster, EDS
// assignment and secret referenced exists, and that nothing unreferenced is
// served (the go-control-plane snapshot consistency rule plus our own checks
// for clusters and secrets).
func checkReferences(t *testing.T, res *Resources) {
	t.Helper()
	snap, err := cachev3.NewSnapshot("1", map[resourcev3.Type][]types.Resource{
		resourcev3.ListenerType: toResources(res.Listeners),
		resourcev3.RouteType:    toResources(res.Routes),
		resourcev3.ClusterType:  toResources(res.Clusters),
		resourcev3.EndpointType: toResources(res.Endpoints),
		resourcev3.SecretType:   toResources(res.Secrets),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.Consistent(); err != nil {
		t.Errorf("snapshot not consistent: %v", err)
	}

	clusters := map[string]bool{}
	for _, c := range res.Clusters {
		clusters[c.GetName()] = true
	}
	secrets := map[string]bool{}
	for _, s := range res.Secrets {
		secrets[s.GetName()] = true
	}
	usedSecrets := map[string]bool{}
	refs := referencedClusters(t, res)
	for c := range refs {
		if !clusters[c] {
			t.Errorf("cluster %q is referenced but not served", c)
		}
	}
	for _, l := range res.Listeners {
		for _, fc := range l.GetFilterChains() {
			ts := fc.GetTransportSocket()
			if ts == nil {
				continue
			}
			ctx := &tlsv3.DownstreamTlsContext{}
			if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
				t.Fatal(err)
			}
			for _, sds := range ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
				usedSecrets[sds.GetName()] = true
				if !secrets[sds.GetName()] {
					t.Errorf("secret %q is referenced but not served", sds.GetName())
				}
			}
		}
	}
	// Every referenced secret is served (checked above); serve no others.
	if served := slices.Sorted(maps.Keys(secrets)); len(served) != len(usedSecrets) {
		t.Errorf("secrets served %v, referenced %v", served, slices.Sorted(maps.Keys(usedSecrets)))
	}
}

func toResources[T types.Resource](in []T) []types.Resource {
	out := make([]types.Resource, len(in))
	for i, r := range in {
		out[i] = r
	}
	return out
}

// referencedClusters collects the clusters named by routes (including weighted
// clusters and mirrors) and by tcp_proxy filters.
func referencedClusters(t *testing.T, res *Resources) map[string]bool {
	t.Helper()
	refs := map[string]bool{}
	for _, rc := range res.Routes {
		for _, vh := range rc.GetVirtualHosts() {
			for _, r := range vh.GetRoutes() {
				a := r.GetRoute()
				if a == nil {
					continue
				}
				if c := a.GetCluster(); c != "" {
					refs[c] = true
				}
				for _, w := range a.GetWeightedClusters().GetClusters() {
					refs[w.GetName()] = true
				}
				for _, m := range a.GetRequestMirrorPolicies() {
					refs[m.GetCluster()] = true
				}
			}
		}
	}
	for _, l := range res.Listeners {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				if f.GetName() != wellknown.TCPProxy {
					continue
				}
				p := &tcpproxyv3.TcpProxy{}
				if err := f.GetTypedConfig().UnmarshalTo(p); err != nil {
					t.Fatal(err)
				}
				if c := p.GetCluster(); c != "" {
					refs[c] = true
				}
				for _, w := range p.GetWeightedClusters().GetClusters() {
					refs[w.GetName()] = true
				}
			}
		}
	}
	return refs
}

// TestValidateDeepLooksInsideAny makes sure the validity test above can fail:
// an HTTP connection manager without a stat prefix is invalid, but only
// visible once the Any holding it is unpacked.
func TestValidateDeepLooksInsideAny(t *testing.T) {
	bad := &listenerv3.Listener{
		Name:    "listener/0.0.0.0/80",
		Address: SocketAddress("0.0.0.0", 80),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name:       wellknown.HTTPConnectionManager,
			ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: MustAny(&hcmv3.HttpConnectionManager{})},
		}}}},
	}
	if err := bad.ValidateAll(); err != nil {
		t.Fatalf("the listener itself should pass ValidateAll, got %v", err)
	}
	if err := protovalidate.Deep(bad); err == nil {
		t.Fatal("protovalidate.Deep accepted an HTTP connection manager without stat_prefix and route specifier")
	}
	badRoute := RouteConfiguration("r", []*routev3.VirtualHost{VirtualHost("example.com", []*routev3.Route{{
		Name:   "no-action",
		Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: DirectResponse(42, ""),
	}})})
	if err := protovalidate.Deep(badRoute); err == nil {
		t.Fatal("protovalidate.Deep accepted a direct response with status 42")
	}
}
