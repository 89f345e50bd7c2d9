package translator

import (
	"net"
	"slices"

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
// With a cache, a call with the same clusters (the same IR clusters, in
// order) and the same endpoints snapshot as the last call takes that call's
// assignments as they are, without looking any up: what a route change
// gives.
func (t *translation) addEndpoints(clusters []*ir.Cluster, eps *ir.Endpoints) {
	c := t.cache
	if c != nil && c.lastEndpoints != nil && c.lastEndpoints.eps == eps && slices.Equal(c.lastEndpoints.clusters, clusters) {
		for _, b := range c.lastEndpoints.built {
			b.gen = c.gen
			t.addAssignment(b)
		}
		return
	}
	var memo *endpointsMemo
	if c != nil {
		memo = &endpointsMemo{clusters: slices.Clone(clusters), eps: eps}
	}
	for _, cl := range clusters {
		if cl.Discovery != ir.DiscoveryEDS {
			continue
		}
		endpoints := cl.Endpoints
		if cl.EndpointSource != nil {
			endpoints, _ = eps.Lookup(cl.EndpointSource)
		}
		if c == nil {
			t.buildAssignment(cl, endpoints)
			continue
		}
		b := t.assignmentEntry(cl, endpoints)
		b.gen = c.gen
		t.addAssignment(b)
		memo.built = append(memo.built, b)
	}
	if c != nil {
		c.lastEndpoints = memo
	}
}

// endpointsMemo is what addEndpoints did in the last Translate call: with
// which clusters (a copy) and endpoints snapshot, and the assignment entry
// of each EDS cluster, in order.
type endpointsMemo struct {
	clusters []*ir.Cluster
	eps      *ir.Endpoints
	built    []*builtAssignment
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
