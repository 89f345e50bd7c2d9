package translator

import (
	"fmt"
	"slices"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// TestDiffOf checks the runs diffOf finds, and that applying them to the
// old list gives the new one.
func TestDiffOf(t *testing.T) {
	routes := make([]*ir.HTTPRoute, 200)
	for i := range routes {
		routes[i] = &ir.HTTPRoute{Name: fmt.Sprint(i)}
	}
	fresh := func() *ir.HTTPRoute { return &ir.HTTPRoute{Name: "new"} }
	with := func(edit func([]*ir.HTTPRoute) []*ir.HTTPRoute) []*ir.HTTPRoute { return edit(slices.Clone(routes)) }
	many := with(func(r []*ir.HTTPRoute) []*ir.HTTPRoute {
		for i := 0; i < len(r); i += 4 {
			r[i] = fresh()
		}
		return r
	})
	cases := []struct {
		name string
		new  []*ir.HTTPRoute
		want diff
		ok   bool
	}{
		{"same", routes, nil, true},
		{"one replaced", with(func(r []*ir.HTTPRoute) []*ir.HTTPRoute { r[50] = fresh(); return r }), diff{{50, 51, 51}}, true},
		{"one inserted", with(func(r []*ir.HTTPRoute) []*ir.HTTPRoute { return slices.Insert(r, 7, fresh()) }), diff{{7, 7, 8}}, true},
		{"one removed", with(func(r []*ir.HTTPRoute) []*ir.HTTPRoute { return slices.Delete(r, 199, 200) }), diff{{199, 200, 199}}, true},
		{"two far apart", with(func(r []*ir.HTTPRoute) []*ir.HTTPRoute { r[3], r[4], r[190] = fresh(), fresh(), fresh(); return r }),
			diff{{3, 5, 5}, {190, 191, 191}}, true},
		{"far apart, one inserted", with(func(r []*ir.HTTPRoute) []*ir.HTTPRoute { r[3] = fresh(); return slices.Insert(r, 190, fresh()) }), nil, false},
		{"too many", many, nil, false},
	}
	for _, c := range cases {
		d, ok := diffOf(routes, c.new)
		if ok != c.ok || !slices.Equal(d, c.want) {
			t.Errorf("%s: diffOf = %v, %v; want %v, %v", c.name, d, ok, c.want, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if got := apply(slices.Clone(routes), d, func(k int) []*ir.HTTPRoute { return c.new[d[k].start:d[k].newEnd] }); !slices.Equal(got, c.new) {
			t.Errorf("%s: applying the diff does not give the new list", c.name)
		}
		for i := range c.new {
			if _, covered := d.in(i); !covered && routes[d.oldIndex(i)] != c.new[i] {
				t.Errorf("%s: position %d maps to old position %d, another route", c.name, i, d.oldIndex(i))
			}
		}
	}
}

// TestCachePatchesChangesFarApart replaces the first and the last of 200
// valid routes and checks that the cache patches its memos (the same memo
// objects, two runs) and gives what a fresh translation gives.
func TestCachePatchesChangesFarApart(t *testing.T) {
	x := &ir.Xds{Clusters: []*ir.Cluster{{Name: "c", Discovery: ir.DiscoveryEDS,
		Endpoints: []*ir.Endpoint{{Address: "10.0.0.1", Port: 80}}}}}
	route := func(i, v int) *ir.HTTPRoute {
		return &ir.HTTPRoute{
			Name:          fmt.Sprintf("httproute/ns/r%d/rule/0/match/0", i),
			Hostname:      fmt.Sprintf("h%d.example.com", i%50),
			PathMatch:     &ir.StringMatch{Type: ir.MatchPrefix, Value: fmt.Sprintf("/p%d", i)},
			HeaderMatches: []*ir.StringMatch{{Name: "x-v", Type: ir.MatchExact, Value: fmt.Sprint(v)}},
			Destination:   &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "c", Weight: 1}}},
		}
	}
	l := &ir.HTTPListener{Name: "ns/eg/http", Address: "0.0.0.0", Port: 10080, Hostnames: []string{"*"}}
	for i := range 200 {
		l.Routes = append(l.Routes, route(i, 0))
	}
	x.HTTP = []*ir.HTTPListener{l}
	cache := NewCache()
	if _, err := cache.Translate(x, nil); err != nil {
		t.Fatal(err)
	}
	name := HTTPRouteConfigName("0.0.0.0", 10080)
	config, valid := cache.configs[name], cache.listeners[l.Name]
	if config == nil || valid == nil || !config.reports.empty() {
		t.Fatalf("no clean memo of %s after the first call", name)
	}
	for step := 1; step <= 3; step++ {
		c := *l
		c.Routes = slices.Clone(l.Routes)
		c.Routes[0], c.Routes[199] = route(0, step), route(199, step)
		next := *x
		next.HTTP = []*ir.HTTPListener{&c}
		got, err := cache.Translate(&next, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := TranslateWithEndpoints(&next, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !sameResources(t, want, got) {
			t.Fatalf("step %d: the cache's result differs from a fresh translation", step)
		}
		if cache.configs[name] != config || cache.listeners[l.Name] != valid {
			t.Fatalf("step %d: the memos were built again, not patched", step)
		}
		x, l = &next, &c
	}
}
