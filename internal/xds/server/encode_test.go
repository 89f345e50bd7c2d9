package server

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	"github.com/envoygw/envoy-gateway/internal/chunked"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// fleetOf is a fleet with routes routes on two ports, each route on its
// own hostname and cluster; version changes the header value of route 0.
func fleetOf(t *testing.T, routes, version int) *translator.Resources {
	t.Helper()
	x := &ir.Xds{}
	for _, port := range []uint32{8080, 8081} {
		l := &ir.HTTPListener{Name: fmt.Sprintf("ns/eg/http-%d", port), Address: "0.0.0.0", Port: port, Hostnames: []string{"*"}}
		for r := range routes {
			value := "a"
			if r == 0 {
				value = fmt.Sprintf("v%d", version)
			}
			l.Routes = append(l.Routes, &ir.HTTPRoute{
				Name: fmt.Sprintf("route-%d", r), Hostname: fmt.Sprintf("h%d.example.com", r),
				HeaderMatches: []*ir.StringMatch{{Name: "x", Type: ir.MatchExact, Value: value}},
				Destination:   &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: fmt.Sprintf("c%d", r), Weight: 1}}},
			})
		}
		x.HTTP = append(x.HTTP, l)
	}
	for r := range routes {
		x.Clusters = append(x.Clusters, &ir.Cluster{Name: fmt.Sprintf("c%d", r), Discovery: ir.DiscoveryEDS,
			Endpoints: []*ir.Endpoint{{Address: fmt.Sprintf("10.0.0.%d", r+1), Port: 80}}})
	}
	res, err := translator.Translate(x)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestServedFormDecodesToTheResource checks that every served resource,
// marshalled as go-control-plane does and decoded as a proxy does, is the
// translator's resource, and so is what the partial cache sends of it.
func TestServedFormDecodesToTheResource(t *testing.T) {
	res := fleetOf(t, 5, 1)
	c, err := newContent(res, nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(typ resourcev3.Type, want proto.Message, decoded proto.Message) {
		t.Helper()
		var served proto.Message
		for _, e := range c.entries[typ] {
			if e.name == nameOf(want) {
				served = e.served()
			}
		}
		b, err := proto.Marshal(served)
		if err != nil {
			t.Fatal(err)
		}
		sent := valueOf(c.value(typ, nameOf(want)))
		for form, b := range map[string][]byte{"served": b, "sent": sent} {
			proto.Reset(decoded)
			if err := proto.Unmarshal(b, decoded); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, decoded, protocmp.Transform()); diff != "" {
				t.Errorf("%s %s %s decodes differently (-want +got):\n%s", typ, nameOf(want), form, diff)
			}
		}
	}
	for _, rc := range res.Routes {
		check(resourcev3.RouteType, rc, &routev3.RouteConfiguration{})
	}
	for _, cla := range res.Endpoints {
		check(resourcev3.EndpointType, cla, &endpointv3.ClusterLoadAssignment{})
	}
}

func nameOf(m proto.Message) string {
	if cla, ok := m.(*endpointv3.ClusterLoadAssignment); ok {
		return cla.GetClusterName()
	}
	return m.(interface{ GetName() string }).GetName()
}

// TestContentReusesWhatDidNotChange checks that a new content encodes only
// new messages: the same translation again reuses every entry and group,
// and a new route configuration whose virtual hosts are those of the
// previous one but one encodes only that one.
func TestContentReusesWhatDidNotChange(t *testing.T) {
	res := fleetOf(t, 4, 1)
	first, err := newContent(res, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := newContent(res, first)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range servedTypes {
		for i, e := range again.entries[typ] {
			if e != first.entries[typ][i] {
				t.Errorf("%s %s encoded again", typ, e.name)
			}
		}
	}

	// A route configuration sharing all virtual hosts but the first.
	changed := fleetOf(t, 4, 2)
	mixed := *res
	mixed.Routes = nil
	for i, rc := range res.Routes {
		vhosts := append([]*routev3.VirtualHost{changed.Routes[i].GetVirtualHosts()[0]}, rc.GetVirtualHosts()[1:]...)
		mixed.Routes = append(mixed.Routes, translator.RouteConfiguration(rc.GetName(), vhosts))
	}
	next, err := newContent(&mixed, again)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range mixed.Routes {
		nextEntry, _ := next.byName[resourcev3.RouteType].get(rc.GetName())
		againEntry, _ := again.byName[resourcev3.RouteType].get(rc.GetName())
		// Which virtual hosts are encoded again is vhostsOf's (see
		// TestVhostsOfReusesTheSameMessages); here, their parts are those
		// of the content before, in place, but for the changed one, and
		// they are sent as two runs after the configuration's other
		// fields: the new part, and the unchanged ones in their buffer.
		for j := range rc.GetVirtualHosts() {
			same := &nextEntry.extra.vhosts.At(j).wire[0] == &againEntry.extra.vhosts.At(j).wire[0]
			if j > 0 && !same || j == 0 && same {
				t.Errorf("route configuration %s: virtual host %d: the same part = %v", rc.GetName(), j, same)
			}
		}
		if parts, _, _ := partsOf(nextEntry.extra.value); len(parts) != 3 {
			t.Errorf("route configuration %s is sent in %d parts, want 3", rc.GetName(), len(parts))
		}
	}
	for _, typ := range servedTypes {
		if got := next.versions[typ] != again.versions[typ]; got != (typ == resourcev3.RouteType) {
			t.Errorf("%s: version changed = %v", typ, got)
		}
	}
	fresh, err := newContent(&mixed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !fresh.sameVersions(next) {
		t.Errorf("versions depend on what was reused: %v, fresh %v", next.versions, fresh.versions)
	}
}

// TestSnapshotCarriesResourceVersions checks that delta xDS gets the
// versions of the content, not versions it would compute itself.
func TestSnapshotCarriesResourceVersions(t *testing.T) {
	c, err := newContent(fleetOf(t, 3, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := c.snapshot()
	for _, typ := range servedTypes {
		vm := snap.GetVersionMap(typ)
		if len(vm) != len(c.entries[typ]) {
			t.Errorf("%s: %d versions for %d resources", typ, len(vm), len(c.entries[typ]))
		}
		for _, e := range c.entries[typ] {
			if vm[e.name] != e.version {
				t.Errorf("%s %s: version %q in the snapshot, want %q", typ, e.name, vm[e.name], e.version)
			}
		}
	}
	if err := snap.ConstructVersionMap(); err != nil || snap.GetVersionMap(resourcev3.ClusterType)["c0"] != c.entries[resourcev3.ClusterType][0].version {
		t.Errorf("ConstructVersionMap replaced the versions (err %v)", err)
	}
}

// TestWithEndpointsKeepsTheOtherTypes checks an endpoints-only content.
func TestWithEndpointsKeepsTheOtherTypes(t *testing.T) {
	c, err := newContent(fleetOf(t, 3, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	moved := fleetOf(t, 3, 1).Endpoints
	moved[1] = translator.ClusterLoadAssignment("c1", []*ir.Endpoint{{Address: "10.9.9.9", Port: 80}})
	next, err := c.withEndpoints(moved)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range servedTypes {
		if got := next.versions[typ] != c.versions[typ]; got != (typ == resourcev3.EndpointType) {
			t.Errorf("%s: version changed = %v", typ, got)
		}
	}
	vm := next.snapshot().GetVersionMap(resourcev3.EndpointType)
	old := c.snapshot().GetVersionMap(resourcev3.EndpointType)
	for _, name := range []string{"c0", "c1", "c2"} {
		if got := vm[name] != old[name]; got != (name == "c1") {
			t.Errorf("assignment %s: version changed = %v", name, got)
		}
	}
	if _, err := c.withEndpoints(moved[:2]); err == nil {
		t.Error("an assignment missing was accepted")
	}
}

// TestContentTakesOverUnchangedTypes checks that a type whose messages are
// the previous content's, in order, is taken over as it is, and that the
// content equals a fresh one whether or not it was.
func TestContentTakesOverUnchangedTypes(t *testing.T) {
	res := fleetOf(t, 4, 1)
	first, err := newContent(res, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Same messages in new slices (as the translator gives them).
	same := *res
	same.Clusters = slices.Clone(res.Clusters)
	same.Routes = slices.Clone(res.Routes)
	again, err := newContent(&same, first)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range servedTypes {
		if len(first.entries[typ]) > 0 && &again.entries[typ][0] != &first.entries[typ][0] {
			t.Errorf("%s: unchanged messages not taken over", typ)
		}
	}
	// The same messages in another order are a change of the type.
	swapped := same
	swapped.Clusters = slices.Clone(res.Clusters)
	slices.Reverse(swapped.Clusters)
	next, err := newContent(&swapped, again)
	if err != nil {
		t.Fatal(err)
	}
	if &next.entries[resourcev3.ClusterType][0] == &again.entries[resourcev3.ClusterType][0] {
		t.Error("reordered clusters taken over")
	}
	fresh, err := newContent(&swapped, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !fresh.sameVersions(next) {
		t.Errorf("versions depend on what was reused: %v, fresh %v", next.versions, fresh.versions)
	}
	for _, typ := range servedTypes {
		if !maps.Equal(fresh.snapshot().VersionMap[typ], next.snapshot().VersionMap[typ]) {
			t.Errorf("%s: resource versions depend on what was reused", typ)
		}
	}
}

// TestVhostsOfReusesTheSameMessages checks vhostsOf on route configurations
// derived from a previous one in every way a run can take (a replaced, an
// inserted, a removed virtual host, a reordering, a whole new set): each part
// is the encoding of its virtual host, and the part of a virtual host the
// previous configuration had is its part, not a new encoding.
func TestVhostsOfReusesTheSameMessages(t *testing.T) {
	vh := func(name string) *routev3.VirtualHost {
		return translator.VirtualHost(name, []*routev3.Route{{Name: name + "-route"}})
	}
	old := []*routev3.VirtualHost{vh("a"), vh("b"), vh("c"), vh("d"), vh("e")}
	prev, err := encode(translator.RouteConfiguration("rc", old), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]*routev3.VirtualHost{
		"same":     old,
		"replaced": {old[0], old[1], vh("c"), old[3], old[4]},
		"inserted": {old[0], old[1], vh("bb"), old[2], old[3], old[4]},
		"removed":  {old[0], old[2], old[3], old[4]},
		"reversed": {old[4], old[3], old[2], old[1], old[0]},
		"new":      {vh("x"), vh("y")},
		"empty":    {},
	}
	for name, vhs := range cases {
		list, err := vhostsOf(translator.RouteConfiguration("rc", vhs), prev, nil)
		if err != nil {
			t.Fatal(err)
		}
		parts := list.Slice()
		if len(parts) != len(vhs) {
			t.Fatalf("%s: %d parts for %d virtual hosts", name, len(parts), len(vhs))
		}
		var joined []byte
		for _, part := range parts {
			joined = append(joined, part.wire...)
		}
		if got := bytes.Join(runsOf(list), nil); !bytes.Equal(got, joined) {
			t.Errorf("%s: the runs are not the parts in order", name)
		}
		for i, v := range vhs {
			want, err := appendVhost(nil, v)
			if err != nil {
				t.Fatal(err)
			}
			if string(parts[i].wire) != string(want) {
				t.Errorf("%s: part %d is not the encoding of virtual host %s", name, i, v.GetName())
			}
			if full := sha256.Sum256(want); parts[i].sum != vhostSum(full[:len(vhostSum{})]) {
				t.Errorf("%s: sum %d is not the hash of virtual host %s", name, i, v.GetName())
			}
			if j := slices.Index(old, v); j >= 0 && &parts[i].wire[0] != &prev.extra.vhosts.At(j).wire[0] {
				t.Errorf("%s: virtual host %s, unchanged, encoded again", name, v.GetName())
			}
		}
	}
}

// TestMessagesWithUnknownFieldsAreServedWhole checks that a pre-encoded
// resource keeps the unknown fields of the translator's message: a
// ClusterLoadAssignment whose fields are held encoded (the translator's
// cache makes them so) is served as the whole assignment, and as the
// translator's message itself, where a full one is served pre-encoded.
func TestMessagesWithUnknownFieldsAreServedWhole(t *testing.T) {
	full := translator.ClusterLoadAssignment("service/ns/web/80", []*ir.Endpoint{{Address: "10.0.0.1", Port: 8080}})
	rest, err := deterministic.Marshal(&endpointv3.ClusterLoadAssignment{Endpoints: full.GetEndpoints()})
	if err != nil {
		t.Fatal(err)
	}
	held := &endpointv3.ClusterLoadAssignment{ClusterName: full.GetClusterName()}
	held.ProtoReflect().SetUnknown(rest)
	a, errA := encode(full, nil, nil)
	b, errB := encode(held, nil, nil)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if string(a.wire) != string(b.wire) || a.version != b.version {
		t.Errorf("served %x (version %s), want %x (version %s)", b.wire, b.version, a.wire, a.version)
	}
	if b.served() != types.Resource(held) {
		t.Error("the pre-encoded assignment is not served as the translator's message")
	}
	if served := a.served().(*endpointv3.ClusterLoadAssignment); served == full || len(served.GetEndpoints()) != 0 {
		t.Error("the full assignment is not served pre-encoded")
	}
}

// TestRouteConfigurationEncodingOverManyChanges encodes a route
// configuration through a long series of random changes (virtual hosts
// replaced, inserted, removed, moved), each from the entry before, and
// checks every entry against one encoded afresh: the same bytes sent and
// the same version, in no more parts than maxRuns allows (the runs are
// copied into one buffer again past it).
func TestRouteConfigurationEncodingOverManyChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	n := 0
	vh := func() *routev3.VirtualHost {
		n++
		name := fmt.Sprintf("vh-%d", n)
		return translator.VirtualHost(name, []*routev3.Route{{Name: name + "-route"}})
	}
	vhs := make([]*routev3.VirtualHost, 400)
	for i := range vhs {
		vhs[i] = vh()
	}
	prev, err := encode(translator.RouteConfiguration("rc", vhs), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	maxParts, compactions := 0, 0
	for step := range 800 {
		vhs = slices.Clone(vhs)
		switch i := rng.IntN(len(vhs)); rng.IntN(4) {
		case 0:
			vhs[i] = vh()
		case 1:
			vhs = slices.Insert(vhs, i, vh())
		case 2:
			if len(vhs) > 1 {
				vhs = slices.Delete(vhs, i, i+1)
			}
		case 3:
			j := rng.IntN(len(vhs))
			vhs[i], vhs[j] = vhs[j], vhs[i]
		}
		rc := translator.RouteConfiguration("rc", vhs)
		en, err := encode(rc, prev, nil)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := encode(rc, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(valueOf(en.extra.value), valueOf(fresh.extra.value)) || en.version != fresh.version {
			t.Fatalf("step %d: the entry encoded from the one before differs from one encoded afresh", step)
		}
		parts, size, _ := partsOf(en.extra.value)
		if size != len(valueOf(fresh.extra.value)) {
			t.Fatalf("step %d: the parts' size is %d, want %d", step, size, len(valueOf(fresh.extra.value)))
		}
		if len(parts) > maxRuns+1 {
			t.Fatalf("step %d: sent in %d parts", step, len(parts))
		}
		if prevParts, _, _ := partsOf(prev.extra.value); len(parts) < len(prevParts)-2 {
			compactions++ // a change removes at most two runs
		}
		maxParts = max(maxParts, len(parts))
		prev = en
	}
	if compactions == 0 {
		t.Errorf("the runs were never copied into one buffer again (at most %d parts): the test does not reach maxRuns", maxParts)
	}
	decoded := &routev3.RouteConfiguration{}
	if err := proto.Unmarshal(valueOf(prev.extra.value), decoded); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(translator.RouteConfiguration("rc", vhs), decoded, protocmp.Transform()); diff != "" {
		t.Errorf("the last entry decodes differently (-want +got):\n%s", diff)
	}
}

// TestRouteConfigurationsShareVirtualHosts checks that two route
// configurations of the same virtual host messages (the translator's for
// listeners serving the same routes) hold one encoding of each, at the
// first content and after a change of one virtual host in both, and that
// each is still served as its configuration.
func TestRouteConfigurationsShareVirtualHosts(t *testing.T) {
	vh := func(name string) *routev3.VirtualHost {
		return translator.VirtualHost(name, []*routev3.Route{{Name: name + "-route"}})
	}
	res := fleetOf(t, 1, 1) // two listeners, one route configuration each
	withVhosts := func(vhs []*routev3.VirtualHost) *translator.Resources {
		out := *res
		out.Routes = []*routev3.RouteConfiguration{
			translator.RouteConfiguration(res.Routes[0].GetName(), vhs),
			translator.RouteConfiguration(res.Routes[1].GetName(), slices.Clone(vhs)),
		}
		return &out
	}
	vhs := []*routev3.VirtualHost{vh("a"), vh("b"), vh("c")}
	first, err := newContent(withVhosts(vhs), nil)
	if err != nil {
		t.Fatal(err)
	}
	assertSharedParts(t, first, 3)

	changed := slices.Clone(vhs)
	changed[1] = vh("b")
	changed[1].Domains = append(changed[1].Domains, "b.example.com")
	next, err := newContent(withVhosts(changed), first)
	if err != nil {
		t.Fatal(err)
	}
	assertSharedParts(t, next, 3)
}

// assertSharedParts checks that the two route configurations of c have the
// same encoded virtual hosts, n of them, and that each is served as its
// input.
func assertSharedParts(t *testing.T, c *content, n int) {
	t.Helper()
	entries := c.entries[resourcev3.RouteType]
	if len(entries) != 2 || c.vhosts != nil {
		t.Fatalf("%d route configurations; index kept: %v", len(entries), c.vhosts != nil)
	}
	a, b := entries[0].extra.vhosts.Slice(), entries[1].extra.vhosts.Slice()
	if len(a) != n || len(b) != n {
		t.Fatalf("%d and %d encoded virtual hosts, want %d", len(a), len(b), n)
	}
	for i := range a {
		if &a[i].wire[0] != &b[i].wire[0] || a[i].sum != b[i].sum {
			t.Errorf("virtual host %d encoded twice", i)
		}
	}
	for _, e := range entries {
		got := &routev3.RouteConfiguration{}
		if err := proto.Unmarshal(valueOf(e.extra.value), got); err != nil || !proto.Equal(got, e.input) {
			t.Errorf("%s is not served as its configuration (%v)", e.name, err)
		}
	}
}

// TestCompactedTakesTheOtherConfigurationsParts checks that compacting the
// encoded virtual hosts of a route configuration copies them into one
// buffer, in order, and that compacting another configuration of the same
// virtual host messages then takes those parts instead of copying again.
func TestCompactedTakesTheOtherConfigurationsParts(t *testing.T) {
	names := []string{"a", "b", "c", "d"}
	vhs := make([]*routev3.VirtualHost, 0, len(names))
	for _, name := range names {
		vhs = append(vhs, translator.VirtualHost(name, []*routev3.Route{{Name: name + "-route"}}))
	}
	scattered := func() chunked.List[vhostPart] { // each part in a buffer of its own
		parts := make([]vhostPart, len(vhs))
		for i, vh := range vhs {
			wire, err := appendVhost(nil, vh)
			if err != nil {
				t.Fatal(err)
			}
			parts[i] = vhostPart{wire: wire, sum: vhostSum{byte(i)}}
		}
		return chunked.Of(parts)
	}
	others := vhostIndex{}
	first := compacted(scattered(), vhs, others)
	if got := runsOf(first); len(got) != 1 || len(others) != len(vhs) {
		t.Fatalf("compacted into %d runs, %d parts indexed", len(got), len(others))
	}
	second := compacted(scattered(), vhs, others)
	for i, part := range second.All() {
		want, _ := appendVhost(nil, vhs[i])
		if !bytes.Equal(part.wire, want) || part.sum != (vhostSum{byte(i)}) {
			t.Errorf("part %d is not its virtual host's", i)
		}
		if &part.wire[0] != &first.At(i).wire[0] {
			t.Errorf("part %d copied again", i)
		}
	}
}
