package translator

import (
	"net"
	"slices"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// TranslateEndpoints computes the ClusterLoadAssignments of one fleet from
// its clusters and an endpoints snapshot, without translating anything else:
// it is what endpoint churn costs. The assignments are exactly those
// TranslateWithEndpoints gives for the same clusters and snapshot. Only
// Endpoints and Warnings of the result are set. clusters must be those of a
// valid ir.Xds (the one the fleet's other resources were translated from,
// so that the assignments match its EDS clusters). An assignment that fails
// the protos' own validation is left out (LeftOut); the error is always nil.
func TranslateEndpoints(clusters []*ir.Cluster, eps *ir.Endpoints) (*Resources, error) {
	t := &translation{out: &Resources{}}
	t.addEndpoints(clusters, eps)
	t.out.sort()
	return t.out, nil
}

// addEndpoints adds a ClusterLoadAssignment per EDS cluster. A cluster with
// an EndpointSource takes the endpoints eps has for it (none when eps does
// not know the Service); any other EDS cluster has its own fixed endpoints.
//
// With a cache and the same endpoints snapshot as the last call, a cluster
// that is the same IR cluster as one of the last call's, at its place in
// name order, takes that call's assignment as it is, without looking its
// endpoints up: what a route change gives, where at most the clusters of
// the changed routes are new. A call with the same clusters in the same
// order takes the last call's assignments, warnings and left-out elements
// as lists, whole, and the result's assignments are not sorted again when
// they were in name order.
func (t *translation) addEndpoints(clusters []*ir.Cluster, eps *ir.Endpoints) {
	c := t.cache
	var last *endpointsMemo
	if c != nil && c.lastEndpoints != nil && c.lastEndpoints.eps == eps {
		last = c.lastEndpoints
	}
	if last != nil && slices.Equal(last.clusters, clusters) {
		// The last call's assignments, whole: the cache keeps its
		// assignment entries as they are (no sweep, see assignmentsKept).
		t.out.Endpoints = append(t.out.Endpoints, last.endpoints...)
		t.out.LeftOut = append(t.out.LeftOut, last.leftOut...)
		t.out.Warnings = append(t.out.Warnings, last.warnings...)
		t.endpointsSorted = last.sorted && len(t.out.Endpoints) == len(last.endpoints)
		c.assignmentsKept = true
		return
	}
	if c != nil {
		c.assignmentsKept = false
	}
	from := [3]int{len(t.out.Endpoints), len(t.out.LeftOut), len(t.out.Warnings)}
	var memo *endpointsMemo
	if c != nil {
		memo = &endpointsMemo{clusters: slices.Clone(clusters), eps: eps, built: make([]*builtAssignment, len(clusters))}
	}
	j := 0 // the place of the cluster in last.clusters
	for i, cl := range clusters {
		if cl.Discovery != ir.DiscoveryEDS {
			continue
		}
		if c == nil {
			t.buildAssignment(cl, t.endpointsOf(cl, eps))
			continue
		}
		var b *builtAssignment
		if last != nil {
			j = last.find(cl.Name, j)
			if j < len(last.clusters) && last.clusters[j] == cl {
				b = last.built[j]
			}
		}
		if b == nil {
			b = t.assignmentEntry(cl, t.endpointsOf(cl, eps))
		}
		b.gen = c.gen
		t.addAssignment(b)
		memo.built[i] = b
	}
	if c != nil {
		memo.endpoints = slices.Clone(t.out.Endpoints[from[0]:])
		memo.leftOut = slices.Clone(t.out.LeftOut[from[1]:])
		memo.warnings = slices.Clone(t.out.Warnings[from[2]:])
		memo.sorted = slices.IsSortedFunc(memo.endpoints, compareAssignments)
		c.lastEndpoints = memo
	}
}

// endpointsOf returns the endpoints of an EDS cluster: those eps has for
// its EndpointSource, or its own.
func (t *translation) endpointsOf(cl *ir.Cluster, eps *ir.Endpoints) []*ir.Endpoint {
	if cl.EndpointSource == nil {
		return cl.Endpoints
	}
	endpoints, _ := eps.Lookup(cl.EndpointSource)
	return endpoints
}

// endpointsMemo is what addEndpoints did in the last Translate call: with
// which clusters (a copy) and endpoints snapshot, and the assignment entry
// of each EDS cluster, at the cluster's index (nil for the others).
type endpointsMemo struct {
	clusters []*ir.Cluster
	eps      *ir.Endpoints
	built    []*builtAssignment
	// endpoints, leftOut and warnings are what the call added to its
	// result, in order; sorted says the assignments are in name order.
	endpoints []*endpointv3.ClusterLoadAssignment
	leftOut   []LeftOut
	warnings  []string
	sorted    bool
}

// find returns the index of the first cluster at or after from whose name
// is not below name: the place of a cluster named name when the clusters
// are in name order, as the resource translator gives them. Out of order,
// it finds a wrong place, and the caller, which compares the cluster
// there with its own, merely misses a reuse.
func (m *endpointsMemo) find(name string, from int) int {
	for from < len(m.clusters) && m.clusters[from].Name < name {
		from++
	}
	return from
}

// ipEndpoints drops (with a warning) EDS endpoints whose address is not an IP
// address or whose port is out of range: Envoy rejects the whole assignment
// otherwise.
func (t *translation) ipEndpoints(cluster string, endpoints []*ir.Endpoint) []*ir.Endpoint {
	out := make([]*ir.Endpoint, 0, len(endpoints))
	for _, e := range endpoints {
		switch {
		case net.ParseIP(e.Address) == nil:
			t.warnf("cluster %q: endpoint %q is not an IP address; skipped", cluster, e.Address)
			continue
		case e.Port == 0 || e.Port > 65535:
			t.warnf("cluster %q: endpoint %s has port %d, out of range 1-65535; skipped", cluster, e.Address, e.Port)
			continue
		}
		out = append(out, e)
	}
	return out
}
