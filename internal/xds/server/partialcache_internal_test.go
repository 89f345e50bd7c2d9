package server

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// edsStream plays the go-control-plane server's side of one EDS stream
// against the partial cache, as its sotw and delta servers do: it keeps
// the subscription, records the returned resources of each response it
// takes, ACKs it (opening the next watch) and holds the assignments as a
// client applies them (a response updates the assignments it names, a
// delta response removes the names it removes).
type edsStream struct {
	delta bool
	node  *corev3.Node
	sub   stream.Subscription
	ch    chan cachev3.Response
	dch   chan cachev3.DeltaResponse
	nonce int
	// version and held are what the client holds: the version ACKed, and
	// each assignment's version.
	version string
	held    map[string]string
}

func newEDSStream(t *testing.T, e *partialCache, delta bool, names []string) *edsStream {
	t.Helper()
	s := &edsStream{
		delta: delta, node: &corev3.Node{Id: "p", Cluster: "fleet"},
		ch: make(chan cachev3.Response, 1), dch: make(chan cachev3.DeltaResponse, 1), held: map[string]string{},
	}
	if delta {
		s.sub = stream.NewDeltaSubscription(names, nil, nil, false)
		s.watchDelta(t, e, &cachev3.DeltaRequest{ResourceNamesSubscribe: names})
	} else {
		s.sub = stream.NewSotwSubscription(names, false)
		s.watch(t, e, names)
	}
	return s
}

func (s *edsStream) watch(t *testing.T, e *partialCache, names []string) {
	t.Helper()
	req := &cachev3.Request{Node: s.node, TypeUrl: resourcev3.EndpointType, ResourceNames: names,
		VersionInfo: s.version, ResponseNonce: strconv.Itoa(s.nonce)}
	if _, err := e.CreateWatch(req, &s.sub, s.ch); err != nil {
		t.Fatal(err)
	}
}

func (s *edsStream) watchDelta(t *testing.T, e *partialCache, req *cachev3.DeltaRequest) {
	t.Helper()
	req.Node, req.TypeUrl = s.node, resourcev3.EndpointType
	if _, err := e.CreateDeltaWatch(req, &s.sub, s.dch); err != nil {
		t.Fatal(err)
	}
}

// drain takes every response the cache has for the stream, ACKing each.
func (s *edsStream) drain(t *testing.T, e *partialCache, names []string) {
	t.Helper()
	for {
		select {
		case r := <-s.ch:
			out, err := r.GetDiscoveryResponse()
			if err != nil {
				t.Fatal(err)
			}
			s.nonce++
			s.sub.SetReturnedResources(r.GetReturnedResources())
			for _, a := range out.GetResources() {
				cla := &endpointv3.ClusterLoadAssignment{}
				if err := a.UnmarshalTo(cla); err != nil {
					t.Fatal(err)
				}
				s.held[cla.GetClusterName()] = r.GetReturnedResources()[cla.GetClusterName()]
			}
			s.version = out.GetVersionInfo()
			s.watch(t, e, names)
		case r := <-s.dch:
			out, err := r.GetDeltaDiscoveryResponse()
			if err != nil {
				t.Fatal(err)
			}
			s.nonce++
			out.Nonce = strconv.Itoa(s.nonce) // what the server does before sending
			s.sub.SetReturnedResources(r.GetNextVersionMap())
			for _, res := range out.GetResources() {
				s.held[res.GetName()] = res.GetVersion()
			}
			for _, n := range out.GetRemovedResources() {
				delete(s.held, n)
			}
			s.watchDelta(t, e, &cachev3.DeltaRequest{ResponseNonce: out.Nonce})
		default:
			return
		}
	}
}

// TestPartialCacheStreamsConverge runs random sequences of contents
// through the partial cache, patches of the previous content (an endpoint
// change) and wholly new assignments, with streams that take their
// responses at once or let several contents go by first, and checks that
// every stream that took its responses holds exactly the assignments served
// and, for state of the world, ACKed the version served.
func TestPartialCacheStreamsConverge(t *testing.T) {
	const clusters = 24
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 7))
		res := fleetOf(t, clusters, 1)
		cur, err := newContent(res, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := newPartialCache()
		e.set("fleet", cur, resourcev3.EndpointType)
		names := slices.Sorted(maps.Keys(cur.snapshot().VersionMap[resourcev3.EndpointType]))
		streams := []*edsStream{
			newEDSStream(t, e, false, names), newEDSStream(t, e, true, names),
			newEDSStream(t, e, false, names[:clusters/2]), newEDSStream(t, e, true, names[clusters/2:]),
		}
		subscribed := [][]string{names, names, names[:clusters/2], names[clusters/2:]}
		endpoints := res.Endpoints
		for step := range 60 {
			endpoints = slices.Clone(endpoints)
			n := 1 + rng.IntN(2)
			if rng.IntN(4) == 0 {
				n = clusters / 2 // too many for a patch
			}
			for range n {
				i := rng.IntN(clusters)
				eps := []*ir.Endpoint{{Address: fmt.Sprintf("10.2.%d.%d", step, rng.IntN(200)), Port: 80}}
				endpoints[i] = translator.ClusterLoadAssignment(endpoints[i].GetClusterName(), eps)
			}
			if cur, err = cur.withEndpoints(endpoints); err != nil {
				t.Fatal(err)
			}
			e.set("fleet", cur, resourcev3.EndpointType)
			for k, s := range streams {
				if rng.IntN(3) == 0 && step < 59 {
					continue // this stream lags behind
				}
				s.drain(t, e, subscribed[k])
				want := map[string]string{}
				for _, n := range subscribed[k] {
					want[n] = cur.version(resourcev3.EndpointType, n)
				}
				if !maps.Equal(s.held, want) {
					t.Fatalf("seed %d step %d: stream %d (delta %v) holds %v, want %v", seed, step, k, s.delta, s.held, want)
				}
				if !s.delta && s.version != cur.versions[resourcev3.EndpointType] {
					t.Fatalf("seed %d step %d: stream %d ACKed %s, served %s", seed, step, k, s.version, cur.versions[resourcev3.EndpointType])
				}
			}
		}
	}
}

// TestResponseChangesReturnedResourcesWhenTaken checks that a response
// leaves its stream's returned-resource map as it was until the stream
// takes it (a dropped response changes nothing), then gives the same map
// with the versions it carries and without the names it removes, however
// often it is asked.
func TestResponseChangesReturnedResourcesWhenTaken(t *testing.T) {
	c, err := newContent(fleetOf(t, 3, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	typ := resourcev3.EndpointType
	names := slices.Sorted(maps.Keys(c.snapshot().VersionMap[typ]))
	for _, delta := range []bool{false, true} {
		sub := stream.NewSotwSubscription(names, false)
		sub.SetReturnedResources(map[string]string{names[0]: "old", names[1]: "old", "gone": "old"})
		before := maps.Clone(sub.ReturnedResources())
		var take func() map[string]string
		if delta {
			r := newDeltaResponse(c, typ, &cachev3.DeltaRequest{TypeUrl: typ}, sub, names[:1], []string{"gone"})
			take = r.GetNextVersionMap
		} else {
			r := newSotwResponse(c, typ, &cachev3.Request{TypeUrl: typ}, sub, names[:1])
			take = r.GetReturnedResources
		}
		if !maps.Equal(sub.ReturnedResources(), before) {
			t.Fatalf("delta %v: an untaken response changed the stream's map: %v", delta, sub.ReturnedResources())
		}
		want := map[string]string{names[0]: c.version(typ, names[0]), names[1]: "old"}
		if !delta {
			want["gone"] = "old" // a state-of-the-world response removes nothing
		}
		for range 2 {
			got := take()
			if !maps.Equal(got, want) {
				t.Fatalf("delta %v: taken map %v, want %v", delta, got, want)
			}
			got["probe"] = "x" // the stream's own map, changed in place
			if sub.ReturnedResources()["probe"] != "x" {
				t.Fatalf("delta %v: the taken map is not the stream's", delta)
			}
			delete(got, "probe")
		}
	}
}
