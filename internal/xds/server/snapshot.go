package server

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// servedTypes are the xDS types a fleet's snapshot holds.
var servedTypes = []resourcev3.Type{
	resourcev3.ClusterType,
	resourcev3.EndpointType,
	resourcev3.ListenerType,
	resourcev3.RouteType,
	resourcev3.SecretType,
}

// content is one fleet's resources by type, with a version per type derived
// from the resources' bytes: the same resources always get the same version,
// so setting an unchanged translation pushes nothing.
type content struct {
	resources map[resourcev3.Type][]types.Resource
	versions  map[resourcev3.Type]string
	// edsClusters are the names of the EDS clusters: the assignments an
	// endpoints-only update must give, one each.
	edsClusters map[string]bool
}

func newContent(res *translator.Resources) (*content, error) {
	if res == nil {
		res = &translator.Resources{}
	}
	c := &content{
		resources: map[resourcev3.Type][]types.Resource{
			resourcev3.ClusterType:  asResources(res.Clusters),
			resourcev3.EndpointType: asResources(res.Endpoints),
			resourcev3.ListenerType: asResources(res.Listeners),
			resourcev3.RouteType:    asResources(res.Routes),
			resourcev3.SecretType:   asResources(res.Secrets),
		},
		versions:    map[resourcev3.Type]string{},
		edsClusters: map[string]bool{},
	}
	for _, cl := range res.Clusters {
		if cl.GetType() == clusterv3.Cluster_EDS {
			c.edsClusters[cl.GetName()] = true
		}
	}
	for _, t := range servedTypes {
		v, err := version(c.resources[t])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		c.versions[t] = v
	}
	return c, nil
}

func asResources[T types.Resource](in []T) []types.Resource {
	out := make([]types.Resource, len(in))
	for i, r := range in {
		out[i] = r
	}
	return out
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// version hashes the names and deterministic wire bytes of resources, in order.
func version(resources []types.Resource) (string, error) {
	h := sha256.New()
	var n [8]byte
	for _, r := range resources {
		b, err := deterministic.Marshal(r)
		if err != nil {
			return "", err
		}
		name := cachev3.GetResourceName(r)
		binary.BigEndian.PutUint64(n[:], uint64(len(name)))
		h.Write(n[:])
		h.Write([]byte(name))
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// withEndpoints returns a copy of c whose ClusterLoadAssignments are
// endpoints; every other type keeps its resources and version. endpoints
// must hold one assignment per EDS cluster of c, which keeps the snapshot
// consistent (the other types are those of a consistent snapshot).
func (c *content) withEndpoints(endpoints []*endpointv3.ClusterLoadAssignment) (*content, error) {
	if len(endpoints) != len(c.edsClusters) {
		return nil, fmt.Errorf("%d assignments for %d EDS clusters", len(endpoints), len(c.edsClusters))
	}
	seen := make(map[string]bool, len(endpoints))
	for _, e := range endpoints {
		name := e.GetClusterName()
		if !c.edsClusters[name] || seen[name] {
			return nil, fmt.Errorf("assignment %q is not that of an EDS cluster, or not the only one", name)
		}
		seen[name] = true
	}
	resources := asResources(endpoints)
	v, err := version(resources)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", resourcev3.EndpointType, err)
	}
	out := &content{
		resources:   maps.Clone(c.resources),
		versions:    maps.Clone(c.versions),
		edsClusters: c.edsClusters,
	}
	out.resources[resourcev3.EndpointType] = resources
	out.versions[resourcev3.EndpointType] = v
	return out, nil
}

// sameVersions reports whether c serves exactly what other does.
func (c *content) sameVersions(other *content) bool {
	if other == nil {
		return false
	}
	for _, t := range servedTypes {
		if c.versions[t] != other.versions[t] {
			return false
		}
	}
	return true
}

// snapshot builds a new, consistent go-control-plane snapshot of c. Each
// cache gets its own snapshot object: snapshots build their delta version
// map lazily and are not safe to share between caches.
func (c *content) snapshot() (*cachev3.Snapshot, error) {
	s := &cachev3.Snapshot{}
	for _, t := range servedTypes {
		rt := cachev3.GetResponseType(t)
		s.Resources[rt] = cachev3.NewResources(c.versions[t], c.resources[t])
	}
	if err := s.Consistent(); err != nil {
		return nil, err
	}
	return s, nil
}
