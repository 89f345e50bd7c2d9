package server

import (
	"fmt"
	"slices"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// maxPatched is the share of a type's resources (one in maxPatched) above
// which setPatched leaves the work to set: copying the maps is then no
// cheaper than building them.
const maxPatched = 4

// setPatched makes resources the content's resources of type t, a partial
// type, when they are prev's resources of t, same names in the same order,
// with a few messages replaced: what an endpoint change gives (the
// translator reuses the assignments of unchanged clusters). Only the
// replaced messages are encoded; the entries are a copy of prev's with
// those replaced, the index by name is prev's patched (see nameIndex), and
// the type's version is prev's sum less the old entries plus the new ones.
// The result equals set's. It reports false, having changed nothing, when
// resources are not such a patch of prev's; set must be used then.
func (c *content) setPatched(t resourcev3.Type, resources []types.Resource, prev *content) (bool, error) {
	in, old := prev.inputs[t], prev.entries[t]
	if !isPartialType(t) || len(in) != len(resources) || len(old) != len(resources) || prev.byName[t] == nil {
		return false, nil
	}
	var changed []int
	for i, r := range resources {
		if r == in[i] {
			continue
		}
		if cachev3.GetResourceName(r) != old[i].name || len(changed)*maxPatched >= len(resources) {
			return false, nil
		}
		changed = append(changed, i)
	}
	if len(changed) == 0 {
		c.reuse(prev, t)
		return true, nil
	}
	if t == resourcev3.EndpointType {
		c.edsBase = prev
		for _, i := range changed {
			c.edsChanged = append(c.edsChanged, old[i].name)
		}
	}
	entries := slices.Clone(old)
	replaced := make([]*entry, 0, len(changed))
	sum := prev.sums[t]
	for _, i := range changed {
		e, err := encode(resources[i], old[i], nil) // assignments: no virtual hosts
		if err != nil {
			return false, fmt.Errorf("%s: %w", t, err)
		}
		sum = sum.sub(old[i].sum).add(e.sum)
		entries[i] = e
		replaced = append(replaced, e)
	}
	c.byName[t] = prev.byName[t].patched(replaced)
	c.inputs[t], c.entries[t], c.sums[t], c.versions[t] = resources, entries, sum, sum.String()
	return true, nil
}
