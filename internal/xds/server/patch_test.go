package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// TestWithEndpointsPatchEqualsFreshContent replaces random assignments,
// a few at a time (patched) or many (set from scratch), and checks after
// each update that the content equals a content built from nothing with
// the same resources: type versions, resource versions, the snapshot's
// resources (same served bytes), and the encoder's entries.
func TestWithEndpointsPatchEqualsFreshContent(t *testing.T) {
	const clusters = 40
	rng := rand.New(rand.NewPCG(18, 2))
	res := fleetOf(t, clusters, 1)
	cur, err := newContent(res, nil)
	if err != nil {
		t.Fatal(err)
	}
	endpoints := res.Endpoints
	for step := range 200 {
		endpoints = slices.Clone(endpoints)
		n := 1 + rng.IntN(3)
		if step%10 == 9 {
			n = clusters / 2 // too many for a patch
		}
		for range n {
			i := rng.IntN(clusters)
			m := rng.IntN(3)
			eps := make([]*ir.Endpoint, 0, m)
			for k := range m {
				eps = append(eps, &ir.Endpoint{Address: fmt.Sprintf("10.1.%d.%d", rng.IntN(4), k+1), Port: 80})
			}
			endpoints[i] = translator.ClusterLoadAssignment(endpoints[i].GetClusterName(), eps)
		}
		next, err := cur.withEndpoints(endpoints)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		fresh, err := newContent(&translator.Resources{
			Listeners: res.Listeners, Routes: res.Routes, Clusters: res.Clusters, Secrets: res.Secrets, Endpoints: endpoints,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		assertSameContent(t, step, fresh, next)
		cur = next
	}
}

func assertSameContent(t *testing.T, step int, want, got *content) {
	t.Helper()
	wantSnap, gotSnap := want.snapshot(), got.snapshot()
	for _, typ := range servedTypes {
		if want.versions[typ] != got.versions[typ] {
			t.Fatalf("step %d: %s version %s, fresh %s", step, typ, got.versions[typ], want.versions[typ])
		}
		if !maps.Equal(wantSnap.VersionMap[typ], gotSnap.VersionMap[typ]) {
			t.Fatalf("step %d: %s resource versions differ from a fresh content's", step, typ)
		}
		wantGroup, gotGroup := wantSnap.Resources[cachev3.GetResponseType(typ)], gotSnap.Resources[cachev3.GetResponseType(typ)]
		if gotGroup.Version != got.versions[typ] || len(gotGroup.Items) != len(wantGroup.Items) {
			t.Fatalf("step %d: %s group version %s with %d items, want %s with %d", step, typ,
				gotGroup.Version, len(gotGroup.Items), got.versions[typ], len(wantGroup.Items))
		}
		for name, w := range wantGroup.Items {
			wb, err1 := deterministic.Marshal(w.Resource)
			gb, err2 := deterministic.Marshal(gotGroup.Items[name].Resource)
			if err1 != nil || err2 != nil || string(wb) != string(gb) {
				t.Fatalf("step %d: %s %q is served differently from a fresh content (errors %v, %v)", step, typ, name, err1, err2)
			}
		}
		assertFindsEntries(t, step, typ, got)
	}
}

// assertFindsEntries checks that c finds the entry of each of its resources
// of type typ where later contents look for it: in its index by name for a
// partial type, otherwise in its encoder, by message; and that the encoder
// keeps nothing else.
func assertFindsEntries(t *testing.T, step int, typ resourcev3.Type, c *content) {
	t.Helper()
	if isPartialType(typ) {
		if len(c.enc.entries[typ]) != 0 {
			t.Fatalf("step %d: %s: the encoder keeps %d entries of a partial type", step, typ, len(c.enc.entries[typ]))
		}
		for i, e := range c.entries[typ] {
			if got, _ := c.byName[typ].get(e.name); got != e || e.input != c.inputs[typ][i] {
				t.Fatalf("step %d: %s: the index's entry of %q is not the content's", step, typ, e.name)
			}
		}
		return
	}
	if len(c.enc.entries[typ]) != len(c.entries[typ]) {
		t.Fatalf("step %d: %s: the encoder keeps %d entries for %d resources", step, typ, len(c.enc.entries[typ]), len(c.entries[typ]))
	}
	for i, r := range c.inputs[typ] {
		if c.enc.entries[typ][r] != c.entries[typ][i] {
			t.Fatalf("step %d: %s: the encoder's entry of resource %d is not the content's", step, typ, i)
		}
	}
}

// TestWithEndpointsEncodesOnlyTheChanged checks that an endpoints update
// replacing one assignment encodes that one only: every other entry is the
// previous content's.
func TestWithEndpointsEncodesOnlyTheChanged(t *testing.T) {
	res := fleetOf(t, 20, 1)
	cur, err := newContent(res, nil)
	if err != nil {
		t.Fatal(err)
	}
	endpoints := slices.Clone(res.Endpoints)
	name := endpoints[7].GetClusterName()
	endpoints[7] = translator.ClusterLoadAssignment(name, []*ir.Endpoint{{Address: "10.7.7.7", Port: 80}})
	next, err := cur.withEndpoints(endpoints)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range next.entries[resourcev3.EndpointType] {
		if same := e == cur.entries[resourcev3.EndpointType][i]; same == (i == 7) {
			t.Errorf("assignment %d: entry reused = %v", i, same)
		}
	}
	served := next.snapshot().Resources[cachev3.GetResponseType(resourcev3.EndpointType)].Items[name].Resource
	var decoded endpointv3.ClusterLoadAssignment
	b, err := proto.Marshal(served)
	if err != nil || proto.Unmarshal(b, &decoded) != nil || !proto.Equal(&decoded, endpoints[7]) {
		t.Errorf("the served %s does not decode to the new assignment (err %v)", name, err)
	}
}

// TestVersionFollowsServedBytes checks every entry's version against its
// served message's deterministic encoding: the hash of those bytes, but
// for route configurations, whose version hashes the bytes before their
// virtual hosts and the hashes of those (see versionOf). Equal messages
// (copies) get the same version, and a route configuration with one
// virtual host changed, or one without a name, another.
func TestVersionFollowsServedBytes(t *testing.T) {
	res := fleetOf(t, 5, 1)
	res.Routes = append(res.Routes, &routev3.RouteConfiguration{VirtualHosts: res.Routes[0].GetVirtualHosts()})
	versions := map[string]string{} // by served bytes
	for _, r := range slices.Concat(asResources(res.Routes), asResources(res.Endpoints), asResources(res.Clusters), asResources(res.Listeners)) {
		en, err := encode(r, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		again, err := encode(proto.Clone(r), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := deterministic.Marshal(en.served())
		if err != nil {
			t.Fatal(err)
		}
		if again.version != en.version {
			t.Errorf("%T %q: version %s, of a copy %s", r, en.name, en.version, again.version)
		}
		if v, ok := versions[string(b)]; ok && v != en.version || !ok && slices.Contains(slices.Collect(maps.Values(versions)), en.version) {
			t.Errorf("%T %q: version %s does not follow the served bytes", r, en.name, en.version)
		}
		versions[string(b)] = en.version
		if _, rc := r.(*routev3.RouteConfiguration); rc {
			continue
		}
		sum := sha256.Sum256(b)
		if want := hex.EncodeToString(sum[:8]); en.version != want {
			t.Errorf("%T %q: version %s, hash of the served bytes %s", r, en.name, en.version, want)
		}
	}
	changed := proto.Clone(res.Routes[0]).(*routev3.RouteConfiguration)
	changed.VirtualHosts[len(changed.VirtualHosts)-1].Domains = []string{"changed.example.com"}
	a, errA := encode(res.Routes[0], nil, nil)
	b, errB := encode(changed, nil, nil)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a.version == b.version {
		t.Errorf("a route configuration with its last virtual host changed keeps version %s", a.version)
	}
}
