package translator

import (
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// clusterSet returns the number of the cluster set of valid, the clusters
// a call keeps: the same number as the last call's while their names are
// the same, in the same order, a new one otherwise. A route's Validate
// outcome depends only on the route and on which cluster names exist, so a
// route (the same pointer: published IR is never modified) that passed
// against a cluster set passes again against it.
func (c *Cache) clusterSet(valid []*ir.Cluster) uint64 {
	same := c.clusterSetID != 0 && len(valid) == len(c.clusterNames)
	for i := 0; same && i < len(valid); i++ {
		same = valid[i].Name == c.clusterNames[i]
	}
	if !same {
		c.clusterSetID++
		c.clusterNames = c.clusterNames[:0]
		for _, cl := range valid {
			c.clusterNames = append(c.clusterNames, cl.Name)
		}
	}
	return c.clusterSetID
}
