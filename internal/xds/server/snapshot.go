package server

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

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

// content is one fleet's served resources by type, with a version per
// resource derived from its bytes and a version per type derived from the
// resources' names and versions: the same resources always get the same
// versions, so setting an unchanged translation pushes nothing, and delta
// clients get only the resources whose version changed. Work is
// proportional to what changed since the previous content: a type whose
// resources are the previous content's messages, in order (the translator
// reuses unchanged messages), is taken over as it is; other resources the
// translator reused are not encoded again (see encoder), and the snapshot's
// groups of a type whose version did not change are reused.
type content struct {
	// inputs are the translator's messages of each type, as given.
	inputs   map[resourcev3.Type][]types.Resource
	entries  map[resourcev3.Type][]*entry
	versions map[resourcev3.Type]string
	sums     map[resourcev3.Type]versionSum
	// groups are the snapshot's resources of listeners and clusters, and
	// versionMap their resource versions (by type URL) delta xDS compares;
	// both are shared, read-only, by every snapshot of the content.
	groups     map[resourcev3.Type]cachev3.Resources
	versionMap map[string]map[string]string
	// byName are the entries of the partial types (see partialCache) by
	// resource name, shared like the groups. The snapshot's groups of these
	// types are built only when a snapshot is (see snapshot).
	byName map[resourcev3.Type]*nameIndex
	// edsClusters are the names of the EDS clusters: the assignments an
	// endpoints-only update must give, one each.
	edsClusters map[string]bool
	// edsBase, when set, is the content whose assignments these are, with
	// those named edsChanged replaced (see setPatched); the partial cache
	// then compares only those with what its streams have.
	edsBase    *content
	edsChanged []string
	enc        *encoder
	// vhosts are, while the content is built, the virtual hosts its route
	// configurations encoded, for those after them (see vhostIndex).
	vhosts vhostIndex
}

// newContent builds the content of res (nil: no resources), reusing what
// it can of prev (nil: nothing). It fails when a resource cannot be
// encoded or the resources are not consistent (an EDS cluster without its
// assignment, a listener naming a missing route configuration, ...).
func newContent(res *translator.Resources, prev *content) (*content, error) {
	if res == nil {
		res = &translator.Resources{}
	}
	c := newEmptyContent(prev)
	for _, t := range servedTypes {
		var err error
		switch t {
		case resourcev3.ClusterType:
			err = setTyped(c, t, res.Clusters, prev)
		case resourcev3.EndpointType:
			err = setTyped(c, t, res.Endpoints, prev)
		case resourcev3.ListenerType:
			err = setTyped(c, t, res.Listeners, prev)
		case resourcev3.RouteType:
			err = setTyped(c, t, res.Routes, prev)
		case resourcev3.SecretType:
			err = setTyped(c, t, res.Secrets, prev)
		}
		if err != nil {
			return nil, err
		}
	}
	c.enc.done()
	c.vhosts = nil // the content is built
	if prev != nil && c.versions[resourcev3.ClusterType] == prev.versions[resourcev3.ClusterType] {
		c.edsClusters = prev.edsClusters
	} else {
		c.edsClusters = edsClusters(res.Clusters)
	}
	if err := c.consistent(prev); err != nil {
		return nil, err
	}
	return c, nil
}

func newEmptyContent(prev *content) *content {
	var prevEnc *encoder
	if prev != nil {
		prevEnc = prev.enc
	}
	return &content{
		inputs:     map[resourcev3.Type][]types.Resource{},
		entries:    map[resourcev3.Type][]*entry{},
		versions:   map[resourcev3.Type]string{},
		sums:       map[resourcev3.Type]versionSum{},
		groups:     map[resourcev3.Type]cachev3.Resources{},
		versionMap: map[string]map[string]string{},
		byName:     map[resourcev3.Type]*nameIndex{},
		enc:        newEncoder(prevEnc),
	}
}

// set makes resources the content's resources of type t.
func (c *content) set(t resourcev3.Type, resources []types.Resource, prev *content) error {
	if prev != nil {
		if in, ok := prev.inputs[t]; ok && sameMessages(resources, in) {
			c.reuse(prev, t)
			return nil
		}
	}
	c.inputs[t] = resources
	entries := make([]*entry, len(resources))
	for i, r := range resources {
		e, err := c.entry(t, r, prev)
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		entries[i] = e
	}
	c.entries[t] = entries
	c.sums[t] = typeSum(entries)
	c.versions[t] = c.sums[t].String()
	if prev != nil && prev.versions[t] == c.versions[t] {
		c.groups[t], c.versionMap[t], c.byName[t] = prev.groups[t], prev.versionMap[t], prev.byName[t]
		return nil
	}
	if isPartialType(t) {
		c.byName[t] = newNameIndex(entries)
		return nil
	}
	c.groups[t], c.versionMap[t] = groupOf(c.versions[t], entries)
	return nil
}

// entry returns the served entry of r, of type t. An entry of a partial
// type is found by name in prev's index, and reused when it was made from
// the same message; the encoder finds those of the other types.
func (c *content) entry(t resourcev3.Type, r types.Resource, prev *content) (*entry, error) {
	if !isPartialType(t) {
		return c.enc.entry(t, r)
	}
	var old *entry
	if prev != nil {
		old, _ = prev.byName[t].get(cachev3.GetResourceName(r))
	}
	if old != nil && old.input == r {
		return old, nil
	}
	var vhosts vhostIndex
	if t == resourcev3.RouteType {
		vhosts = c.vhostIndex()
	}
	return encode(r, old, vhosts)
}

// vhostIndex returns the content's index of encoded virtual hosts, made on
// first use.
func (c *content) vhostIndex() vhostIndex {
	if c.vhosts == nil {
		c.vhosts = vhostIndex{}
	}
	return c.vhosts
}

// groupOf returns the snapshot group of entries, whose version is version,
// and their versions by name.
func groupOf(version string, entries []*entry) (cachev3.Resources, map[string]string) {
	served := make([]types.Resource, len(entries))
	versions := make(map[string]string, len(entries))
	for i, e := range entries {
		served[i] = e.served()
		versions[e.name] = e.version
	}
	return cachev3.NewResources(version, served), versions
}

// servedName returns the name of c's resource of type t named name, as c
// holds it; false when c (nil or not) has none.
func (c *content) servedName(t resourcev3.Type, name []byte) (string, bool) {
	if c == nil {
		return "", false
	}
	if x, ok := c.byName[t]; ok {
		return x.nameOf(name)
	}
	if r, ok := c.groups[t].Items[string(name)]; ok {
		return cachev3.GetResourceName(r.Resource), true
	}
	return "", false
}

// value is the served resource name of partial type t as the partial
// cache sends it: its encoding in an Any (a parted Any for a route
// configuration, see encodeRouteConfiguration).
func (c *content) value(t resourcev3.Type, name string) *anypb.Any {
	e, _ := c.byName[t].get(name)
	if e.extra != nil && e.extra.value != nil {
		return e.extra.value
	}
	return &anypb.Any{TypeUrl: t, Value: e.wire}
}

// version is the version of the served resource name of partial type t,
// "" when there is none.
func (c *content) version(t resourcev3.Type, name string) string {
	if e, ok := c.byName[t].get(name); ok {
		return e.version
	}
	return ""
}

// reuse takes over prev's resources of type t as they are.
func (c *content) reuse(prev *content, t resourcev3.Type) {
	c.inputs[t], c.entries[t], c.versions[t], c.sums[t] = prev.inputs[t], prev.entries[t], prev.versions[t], prev.sums[t]
	c.groups[t], c.versionMap[t], c.byName[t] = prev.groups[t], prev.versionMap[t], prev.byName[t]
	c.enc.share(prev.enc, t)
	if t == resourcev3.EndpointType {
		c.edsBase, c.edsChanged = prev, nil
	}
}

// sameMessages reports whether a and b hold the same messages (pointers)
// in the same order.
func sameMessages(a, b []types.Resource) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// setTyped is set for the translator's typed list of type t: the list is
// converted to resources only when it is not prev's (a route change keeps
// 20,000 clusters and assignments, two lists of interfaces fewer).
func setTyped[T types.Resource](c *content, t resourcev3.Type, in []T, prev *content) error {
	if prev != nil {
		if old, ok := prev.inputs[t]; ok && sameTyped(in, old) {
			c.reuse(prev, t)
			return nil
		}
	}
	return c.set(t, asResources(in), prev)
}

// sameTyped reports whether a holds the messages of b, in order.
func sameTyped[T types.Resource](a []T, b []types.Resource) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if types.Resource(a[i]) != b[i] {
			return false
		}
	}
	return true
}

func asResources[T types.Resource](in []T) []types.Resource {
	out := make([]types.Resource, len(in))
	for i, r := range in {
		out[i] = r
	}
	return out
}

func edsClusters(clusters []*clusterv3.Cluster) map[string]bool {
	out := map[string]bool{}
	for _, cl := range clusters {
		if cl.GetType() == clusterv3.Cluster_EDS {
			out[cl.GetName()] = true
		}
	}
	return out
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// versionSum is a type's version before formatting: the lane-wise sum
// (modulo 2^64) of its entries' sums, each a hash of the entry's name and
// version. Names are unique within a type, so the same resources always
// give the same sum, and replacing one entry costs a subtraction and an
// addition (see setPatched).
type versionSum [2]uint64

func (v versionSum) add(o versionSum) versionSum { return versionSum{v[0] + o[0], v[1] + o[1]} }
func (v versionSum) sub(o versionSum) versionSum { return versionSum{v[0] - o[0], v[1] - o[1]} }

// String formats the sum as a type version.
func (v versionSum) String() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], v[0])
	binary.BigEndian.PutUint64(b[8:], v[1])
	return hex.EncodeToString(b[:])
}

// entrySum hashes one entry's name and version.
func entrySum(name, version string) versionSum {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(name)))
	h.Write(n[:])
	h.Write([]byte(name))
	h.Write([]byte(version))
	d := h.Sum(nil)
	return versionSum{binary.BigEndian.Uint64(d[:8]), binary.BigEndian.Uint64(d[8:16])}
}

// typeSum adds up the sums of entries.
func typeSum(entries []*entry) versionSum {
	var v versionSum
	for _, e := range entries {
		v = v.add(e.sum)
	}
	return v
}

// consistent checks the references between the types (go-control-plane's
// Snapshot.Consistent), unless prev was consistent with the same references:
// the references come from the clusters (EDS names) and the listeners (RDS
// names), and what they must match are the names of the assignments and of
// the route configurations. So a change of route configurations' or
// assignments' contents alone, the common case, is not checked again.
func (c *content) consistent(prev *content) error {
	if prev != nil && c.versions[resourcev3.ClusterType] == prev.versions[resourcev3.ClusterType] &&
		c.versions[resourcev3.ListenerType] == prev.versions[resourcev3.ListenerType] &&
		c.sameNames(prev, resourcev3.EndpointType) && c.sameNames(prev, resourcev3.RouteType) {
		return nil
	}
	if err := c.snapshot().Consistent(); err != nil {
		return fmt.Errorf("inconsistent resources: %w", err)
	}
	return nil
}

// sameNames reports whether c and prev name the same resources of type t,
// in the same order (the translator sorts each type by name); the same
// version says so at once.
func (c *content) sameNames(prev *content, t resourcev3.Type) bool {
	return c.versions[t] == prev.versions[t] ||
		slices.EqualFunc(c.entries[t], prev.entries[t], func(x, y *entry) bool { return x.name == y.name })
}

// withEndpoints returns a copy of c whose ClusterLoadAssignments are
// endpoints; every other type keeps its resources and version. endpoints
// must hold one assignment per EDS cluster of c, which keeps the snapshot
// consistent (the other types are those of a consistent snapshot).
//
// A patch of c's assignments (see setPatched: the same names in the same
// order) holds one assignment per EDS cluster because c's do, so only the
// assignments that are not such a patch are checked one by one.
func (c *content) withEndpoints(endpoints []*endpointv3.ClusterLoadAssignment) (*content, error) {
	if len(endpoints) != len(c.edsClusters) {
		return nil, fmt.Errorf("%d assignments for %d EDS clusters", len(endpoints), len(c.edsClusters))
	}
	out := newEmptyContent(c)
	for _, t := range servedTypes {
		if t == resourcev3.EndpointType {
			continue
		}
		out.reuse(c, t)
	}
	patched, err := out.setPatched(resourcev3.EndpointType, asResources(endpoints), c)
	if err != nil {
		return nil, err
	}
	if !patched {
		if err := c.checkAssignments(endpoints); err != nil {
			return nil, err
		}
		if err := out.set(resourcev3.EndpointType, asResources(endpoints), c); err != nil {
			return nil, err
		}
	}
	out.enc.done()
	out.edsClusters = c.edsClusters
	return out, nil
}

// checkAssignments checks that endpoints hold exactly one assignment per
// EDS cluster of c.
func (c *content) checkAssignments(endpoints []*endpointv3.ClusterLoadAssignment) error {
	seen := make(map[string]bool, len(endpoints))
	for _, e := range endpoints {
		name := e.GetClusterName()
		if !c.edsClusters[name] || seen[name] {
			return fmt.Errorf("assignment %q is not that of an EDS cluster, or not the only one", name)
		}
		seen[name] = true
	}
	return nil
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

// snapshot returns a go-control-plane snapshot of every type of c, for
// its consistency check. It is built on each call and not kept: the
// groups of the partial types (20,000 assignments at 10,000 routes) are
// needed only there.
func (c *content) snapshot() *cachev3.Snapshot {
	s := c.cacheSnapshot()
	s.VersionMap = maps.Clone(c.versionMap)
	for _, t := range partialTypes {
		group, versions := groupOf(c.versions[t], c.entries[t])
		s.Resources[cachev3.GetResponseType(t)], s.VersionMap[t] = group, versions
	}
	return s
}

// cacheSnapshot returns a new go-control-plane snapshot of c for the
// snapshot caches, which serve listeners and clusters only (partialRouter
// sends the other types to the partial cache): those groups and their
// version map. Each cache gets its own snapshot object; they share the
// groups and the version map, which nothing modifies.
func (c *content) cacheSnapshot() *cachev3.Snapshot {
	s := &cachev3.Snapshot{VersionMap: c.versionMap}
	for _, t := range servedTypes {
		if !isPartialType(t) {
			s.Resources[cachev3.GetResponseType(t)] = c.groups[t]
		}
	}
	return s
}
