package translator

import (
	"fmt"
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// clustersMemo is what the last Translate call made of its IR clusters:
// the valid ones and their names (validIR), and their messages
// (addClusters), with what each step reported. A call whose IR clusters
// are the same, in the same order, takes all of it as it is: what a route
// change gives, the resource translator keeping the IR cluster of an
// unchanged Service port. At 20,000 clusters that spares 20,000
// validations, 20,000 lookups in the cache and a sweep of it.
type clustersMemo struct {
	// in is a copy of the IR clusters; valid and names their valid part.
	in    []*ir.Cluster
	valid []*ir.Cluster
	names map[string]bool
	// built are the messages of valid (those left out missing), nil until
	// addClusters made them; builtSorted says they are in name order.
	built       []*clusterv3.Cluster
	builtSorted bool
	// validated and building are what validating and building reported.
	validated, building reports
}

// validClusters returns the valid clusters of in and their names, leaving
// out each invalid or repeated one. With a cache and the same clusters as
// the last call, it returns that call's and sets t.sameClusters.
func (t *translation) validClusters(in []*ir.Cluster) ([]*ir.Cluster, map[string]bool) {
	if c := t.cache; c != nil && c.lastClusters != nil && slices.Equal(c.lastClusters.in, in) {
		m := c.lastClusters
		t.replay(m.validated)
		t.sameClusters, c.clustersKept = true, true
		return m.valid, m.names
	}
	if t.cache != nil {
		t.cache.clustersKept = false
	}
	var valid []*ir.Cluster
	names := make(map[string]bool, len(in))
	validated := t.capture(func() {
		for _, c := range in {
			err := c.Validate()
			if err == nil && names[c.Name] {
				err = fmt.Errorf("duplicate cluster name %q", c.Name)
			}
			if err != nil {
				t.leaveOut("cluster", "cluster", c.Name, err)
				continue
			}
			names[c.Name] = true
			valid = append(valid, c)
		}
	})
	if t.cache != nil {
		t.cache.lastClusters = &clustersMemo{in: slices.Clone(in), valid: valid, names: names, validated: validated}
	}
	return valid, names
}

// addValidClusters adds the message of each valid IR cluster, taking the
// last call's when validClusters did.
func (t *translation) addValidClusters(clusters []*ir.Cluster) {
	var m *clustersMemo
	if t.cache != nil {
		m = t.cache.lastClusters
	}
	if t.sameClusters && m.built != nil {
		if len(t.out.Clusters) == 0 && m.builtSorted {
			t.clustersSorted = len(m.built)
		}
		t.out.Clusters = append(t.out.Clusters, m.built...)
		t.replay(m.building)
		return
	}
	first := len(t.out.Clusters)
	building := t.capture(func() {
		for _, c := range clusters {
			built, err := t.cluster(c)
			if err != nil {
				t.leaveOut("cluster", "cluster", c.Name, err)
				continue
			}
			t.out.Clusters = append(t.out.Clusters, built)
		}
	})
	if m != nil {
		m.built, m.building = slices.Clone(t.out.Clusters[first:]), building
		m.builtSorted = slices.IsSortedFunc(m.built, compareClusters)
	}
}
