package translator

import (
	"cmp"
	"slices"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/protovalidate"
)

const (
	connectTimeout = 10 * time.Second
	// httpProtocolOptionsKey is the extension name of upstream HTTP protocol options.
	httpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
)

// addClusters adds a cluster per IR cluster, plus the invalid-backend
// cluster when it is referenced. The ClusterLoadAssignments of EDS clusters
// are added by addEndpoints.
func (t *translation) addClusters(clusters []*ir.Cluster) {
	t.addValidClusters(clusters)
	if t.invalidBackend {
		if built, err := checkedCluster(StaticCluster(invalidBackendCluster)); err != nil {
			t.leaveOut("cluster", "", invalidBackendCluster, err)
		} else {
			t.out.Clusters = append(t.out.Clusters, built)
		}
	}
}

// validCluster builds the cluster of a valid IR cluster and checks it.
func validCluster(c *ir.Cluster) (*clusterv3.Cluster, error) {
	var built *clusterv3.Cluster
	switch c.Discovery {
	case ir.DiscoveryEDS:
		built = EDSCluster(c.Name, c.Protocol)
	case ir.DiscoveryDNS:
		built = DNSCluster(c.Name, c.Protocol, c.Endpoints)
	}
	if c.TLS != nil {
		built.TransportSocket = UpstreamTLSTransportSocket(c.TLS)
	}
	return checkedCluster(built)
}

// checkedCluster returns c when it passes validation.
func checkedCluster(c *clusterv3.Cluster) (*clusterv3.Cluster, error) {
	if err := protovalidate.Deep(c); err != nil {
		return nil, err
	}
	return c, nil
}

// EDSCluster is a cluster whose endpoints arrive over EDS (ADS), in a
// ClusterLoadAssignment of the same name.
func EDSCluster(name string, protocol ir.AppProtocol) *clusterv3.Cluster {
	c := baseCluster(name, protocol)
	c.ClusterDiscoveryType = edsType
	c.EdsClusterConfig = adsEDSConfig
	return c
}

// DNSCluster is a strict-DNS cluster resolving the hostnames of endpoints.
func DNSCluster(name string, protocol ir.AppProtocol, endpoints []*ir.Endpoint) *clusterv3.Cluster {
	c := baseCluster(name, protocol)
	c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS}
	c.DnsLookupFamily = clusterv3.Cluster_V4_PREFERRED
	c.LoadAssignment = ClusterLoadAssignment(name, endpoints)
	return c
}

// StaticCluster is a static cluster without endpoints: connections and
// requests sent to it fail.
func StaticCluster(name string) *clusterv3.Cluster {
	c := baseCluster(name, ir.AppProtocolHTTP1)
	c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}
	c.LoadAssignment = ClusterLoadAssignment(name, nil)
	return c
}

// The parts of clusters that are the same in every cluster that has them
// are one message each, which those clusters share: a fleet has a cluster
// per backend, 20,000 at 10,000 routes, and a copy of these parts in each
// took 310 bytes an EDS cluster, 730 with HTTP/2 options (927 and 1,332
// bytes a cluster in all, against 615 and 600 now: 6 to 15 MB at
// 20,000). Shared parts are read (encoded, validated, compared), never
// modified: the translator does not modify what it built, and a caller
// that changes a built cluster replaces its fields rather than writing
// into them.
var (
	sharedConnectTimeout = durationpb.New(connectTimeout)
	edsType              = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS}
	adsEDSConfig         = &clusterv3.Cluster_EdsClusterConfig{EdsConfig: ADSConfigSource()}
	http2Options         = map[string]*anypb.Any{
		httpProtocolOptionsKey: MustAny(&httpv3.HttpProtocolOptions{
			UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{
				ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
					ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
						Http2ProtocolOptions: &corev3.Http2ProtocolOptions{},
					},
				},
			},
		}),
	}
)

func baseCluster(name string, protocol ir.AppProtocol) *clusterv3.Cluster {
	c := &clusterv3.Cluster{Name: name, ConnectTimeout: sharedConnectTimeout}
	if protocol == ir.AppProtocolHTTP2 {
		c.TypedExtensionProtocolOptions = http2Options
	}
	return c
}

// ClusterLoadAssignment groups endpoints by zone (zones sorted, endpoints in
// the given order within each).
func ClusterLoadAssignment(cluster string, endpoints []*ir.Endpoint) *endpointv3.ClusterLoadAssignment {
	var zones []string
	byZone := map[string][]*endpointv3.LbEndpoint{}
	for _, e := range endpoints {
		if _, ok := byZone[e.Zone]; !ok {
			zones = append(zones, e.Zone)
		}
		byZone[e.Zone] = append(byZone[e.Zone], LbEndpoint(e.Address, e.Port))
	}
	slices.SortFunc(zones, cmp.Compare[string])
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: cluster}
	for _, z := range zones {
		l := &endpointv3.LocalityLbEndpoints{LbEndpoints: byZone[z]}
		if z != "" {
			l.Locality = &corev3.Locality{Zone: z}
		}
		cla.Endpoints = append(cla.Endpoints, l)
	}
	return cla
}

// LbEndpoint is one upstream address:port.
func LbEndpoint(address string, port uint32) *endpointv3.LbEndpoint {
	return &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
		Endpoint: &endpointv3.Endpoint{Address: SocketAddress(address, port)},
	}}
}
