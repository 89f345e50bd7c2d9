package server

import (
	"fmt"
	"maps"
	"slices"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// maxPatched is the share of a type's resources (one in maxPatched) above
// which setPatched leaves the work to set: copying the maps is then no
// cheaper than building them.
const maxPatched = 4

// setPatched makes resources the content's resources of type t when they
// are prev's resources of t, same names in the same order, with a few
// messages replaced: what an endpoint change gives (the translator reuses
// the assignments of unchanged clusters). Only the replaced messages are
// encoded; the entries, the snapshot's group, the version map and the
// encoder's entries are copies of prev's with those entries replaced, and
// the type's version is prev's sum less the old entries plus the new ones.
// The result equals set's. It reports false, having changed nothing, when
// resources are not such a patch of prev's; set must be used then.
func (c *content) setPatched(t resourcev3.Type, resources []types.Resource, prev *content) (bool, error) {
	in, old := prev.inputs[t], prev.entries[t]
	if len(in) != len(resources) || len(old) != len(resources) || prev.groups[t].Items == nil {
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
	byMsg := maps.Clone(prev.enc.entries[t])
	sum := prev.sums[t]
	for _, i := range changed {
		e, err := c.enc.encode(resources[i])
		if err != nil {
			return false, fmt.Errorf("%s: %w", t, err)
		}
		delete(byMsg, in[i])
		byMsg[resources[i]] = e
		sum = sum.sub(old[i].sum).add(e.sum)
		entries[i] = e
	}
	items := maps.Clone(prev.groups[t].Items)
	versions := maps.Clone(prev.versionMap[t])
	byName := maps.Clone(prev.byName[t])
	for _, i := range changed {
		e := entries[i]
		items[e.name] = types.ResourceWithTTL{Resource: e.served}
		versions[e.name] = e.version
		if byName != nil {
			byName[e.name] = e
		}
	}
	c.byName[t] = byName
	c.inputs[t], c.entries[t], c.sums[t], c.versions[t] = resources, entries, sum, sum.String()
	c.enc.entries[t] = byMsg
	c.groups[t] = cachev3.Resources{Version: c.versions[t], Items: items}
	c.versionMap[t] = versions
	return true, nil
}
