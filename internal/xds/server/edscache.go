package server

import (
	"context"
	"maps"
	"slices"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// endpointCache answers the EDS watches of every stream, state of the world
// and delta, in place of the snapshot caches, whose cost per update grows
// with the number of assignments a fleet has: they compare, collect and
// marshal every assignment for every watch on every update. Here an update
// that patches a few assignments of the content a watch is synced to (an
// endpoint change) costs what those assignments cost:
//
//   - a state-of-the-world response carries only the subscribed assignments
//     whose version the stream does not have: ClusterLoadAssignment is not
//     one of the types (Listener, Cluster) whose responses must hold every
//     resource, and a client keeps the assignments a response does not name.
//     Every content whose EDS version differs from the request's gets a
//     response, possibly empty, so that each stream ACKs the version served
//     (what FleetStatus compares).
//   - a delta response carries the changed assignments and the removed
//     names, and none is sent when nothing the stream subscribes to changed.
//
// A watch that is open (parked) has nothing pending against the current
// content: when a content comes, a patch of the previous one (see
// content.edsBase), only the patched names are compared with what the
// stream has; any other content is compared in full, as on a new watch.
//
// The streams' returned-resource maps are never modified here: a response
// carries a copy with its changes. Responses are sent while holding the
// cache's lock, as the snapshot caches do: a stream has at most one open
// watch per type and the go-control-plane servers' response channels hold
// one response per type, so a send never blocks.
type endpointCache struct {
	mu     sync.Mutex
	fleets map[string]*edsFleet
	nextID int64
}

// edsFleet is the content one fleet serves now (nil before the first) and
// the open watches of its streams.
type edsFleet struct {
	cur   *content
	sotw  map[int64]*edsSotwWatch
	delta map[int64]*edsDeltaWatch
	// deltaSent is the last response of cur sent to each delta stream, by
	// the stream's node (the go-control-plane server gives every request
	// of a stream the node object of its first). The stream's ACK of it,
	// changing no subscription, has nothing pending: its watch waits
	// without comparing every assignment with what the stream has.
	deltaSent map[*corev3.Node]*edsDeltaResponse
}

type edsSotwWatch struct {
	req *cachev3.Request
	sub cachev3.Subscription
	ch  chan cachev3.Response
}

type edsDeltaWatch struct {
	req *cachev3.DeltaRequest
	sub cachev3.Subscription
	ch  chan cachev3.DeltaResponse
}

func newEndpointCache() *endpointCache {
	return &endpointCache{fleets: map[string]*edsFleet{}}
}

func (e *endpointCache) fleet(name string) *edsFleet {
	f := e.fleets[name]
	if f == nil {
		f = &edsFleet{sotw: map[int64]*edsSotwWatch{}, delta: map[int64]*edsDeltaWatch{}, deltaSent: map[*corev3.Node]*edsDeltaResponse{}}
		e.fleets[name] = f
	}
	return f
}

// set makes c the content of fleet and answers the open watches it gives
// something to.
func (e *endpointCache) set(fleet string, c *content) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.fleet(fleet)
	prev, base := f.cur, c.edsBase
	f.cur = c
	c.edsBase = nil // read once: contents must not hold on to their predecessors
	clear(f.deltaSent)
	if prev != nil && prev.versions[resourcev3.EndpointType] == c.versions[resourcev3.EndpointType] {
		return
	}
	// changed names the assignments c replaced in prev; nil means c is not
	// known to be such a patch, and each watch is compared in full.
	var changed []string
	if prev != nil && base == prev {
		changed = c.edsChanged
		if changed == nil {
			changed = []string{}
		}
	}
	for id, w := range f.sotw {
		names := sotwPending(c, w.sub, changed)
		w.ch <- newEDSResponse(c, w.req, w.sub, names)
		delete(f.sotw, id)
	}
	for id, w := range f.delta {
		names, removed := deltaPending(c, w.sub, changed)
		if len(names) == 0 && len(removed) == 0 {
			continue
		}
		w.ch <- f.deltaResponse(c, w.req, w.sub, names, removed)
		delete(f.delta, id)
	}
}

// CreateWatch answers a state-of-the-world EDS request at once when the
// stream's version differs from the content's or the stream subscribes to
// assignments it does not have; otherwise the watch waits for a content.
func (e *endpointCache) CreateWatch(req *cachev3.Request, sub cachev3.Subscription, ch chan cachev3.Response) (func(), error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	name := nodeHash{}.ID(req.GetNode())
	f := e.fleet(name)
	if c := f.cur; c != nil {
		version := c.versions[resourcev3.EndpointType]
		synced := req.GetVersionInfo() == version && !sub.IsWildcard() &&
			len(sub.SubscribedResources()) == len(sub.ReturnedResources())
		if !synced {
			names := sotwPending(c, sub, nil)
			if len(names) > 0 || req.GetVersionInfo() != version {
				ch <- newEDSResponse(c, req, sub, names)
				return func() {}, nil
			}
		}
	}
	e.nextID++
	id := e.nextID
	f.sotw[id] = &edsSotwWatch{req: req, sub: sub, ch: ch}
	return func() { e.cancel(name, id, false) }, nil
}

// CreateDeltaWatch answers a delta EDS request at once when the stream
// lacks subscribed assignments, has removed ones, or opens a wildcard
// subscription; otherwise the watch waits for a content.
func (e *endpointCache) CreateDeltaWatch(req *cachev3.DeltaRequest, sub cachev3.Subscription, ch chan cachev3.DeltaResponse) (func(), error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	name := nodeHash{}.ID(req.GetNode())
	f := e.fleet(name)
	if c := f.cur; c != nil && !f.acksSynced(req) {
		names, removed := deltaPending(c, sub, nil)
		if len(names) > 0 || len(removed) > 0 || (sub.IsWildcard() && req.GetResponseNonce() == "") {
			ch <- f.deltaResponse(c, req, sub, names, removed)
			return func() {}, nil
		}
	}
	e.nextID++
	id := e.nextID
	f.delta[id] = &edsDeltaWatch{req: req, sub: sub, ch: ch}
	return func() { e.cancel(name, id, true) }, nil
}

func (e *endpointCache) cancel(fleet string, id int64, delta bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.fleets[fleet]
	if f == nil {
		return
	}
	if delta {
		delete(f.delta, id)
	} else {
		delete(f.sotw, id)
	}
	if f.cur == nil && len(f.sotw) == 0 && len(f.delta) == 0 {
		delete(e.fleets, fleet) // a stream of a fleet never served
	}
}

// deltaResponse is a delta response to a stream of the fleet, remembered
// as the last one of the stream.
func (f *edsFleet) deltaResponse(c *content, req *cachev3.DeltaRequest, sub cachev3.Subscription, names, removed []string) *edsDeltaResponse {
	r := newEDSDeltaResponse(c, req, sub, names, removed)
	if req.GetNode() != nil {
		f.deltaSent[req.GetNode()] = r
	}
	return r
}

// acksSynced reports whether req ACKs the last response sent to its
// stream, of the current content, without changing its subscription.
func (f *edsFleet) acksSynced(req *cachev3.DeltaRequest) bool {
	r := f.deltaSent[req.GetNode()]
	delete(f.deltaSent, req.GetNode())
	return r != nil && r.content == f.cur && r.out != nil && req.GetResponseNonce() != "" &&
		r.out.GetNonce() == req.GetResponseNonce() && req.GetErrorDetail() == nil &&
		len(req.GetResourceNamesSubscribe()) == 0 && len(req.GetResourceNamesUnsubscribe()) == 0
}

// subscribes reports whether sub covers the resource name.
func subscribes(sub cachev3.Subscription, name string) bool {
	if sub.IsWildcard() {
		return true
	}
	_, ok := sub.SubscribedResources()[name]
	return ok
}

// candidates are the names to compare with what the stream has: changed
// when given, otherwise every subscribed assignment of c.
func candidates(c *content, sub cachev3.Subscription, changed []string) []string {
	if changed != nil {
		return changed
	}
	items := c.groups[resourcev3.EndpointType].Items
	if sub.IsWildcard() {
		return slices.Collect(maps.Keys(items))
	}
	out := make([]string, 0, len(sub.SubscribedResources()))
	for n := range sub.SubscribedResources() {
		if _, ok := items[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// sotwPending are the subscribed assignments of c (among changed, when
// given) whose version the stream does not have, sorted.
func sotwPending(c *content, sub cachev3.Subscription, changed []string) []string {
	versions := c.versionMap[resourcev3.EndpointType]
	known := sub.ReturnedResources()
	var out []string
	for _, n := range candidates(c, sub, changed) {
		v, ok := versions[n]
		if ok && subscribes(sub, n) && known[n] != v {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// deltaPending are the subscribed assignments of c (among changed, when
// given) whose version the stream does not have, and the names the stream
// has that c no longer serves (none for a patch), both sorted.
func deltaPending(c *content, sub cachev3.Subscription, changed []string) (names, removed []string) {
	names = sotwPending(c, sub, changed)
	if changed != nil {
		return names, nil
	}
	items := c.groups[resourcev3.EndpointType].Items
	for n := range sub.ReturnedResources() {
		if _, ok := items[n]; !ok && (sub.IsWildcard() || subscribes(sub, n)) {
			removed = append(removed, n)
		}
	}
	slices.Sort(removed)
	return names, removed
}

// returned is the stream's returned-resource map after a response carrying
// names and removing removed: a copy, the stream owns the one it has.
func returned(c *content, sub cachev3.Subscription, names, removed []string) map[string]string {
	versions := c.versionMap[resourcev3.EndpointType]
	out := maps.Clone(sub.ReturnedResources())
	if out == nil {
		out = make(map[string]string, len(names))
	}
	for _, n := range names {
		out[n] = versions[n]
	}
	for _, n := range removed {
		delete(out, n)
	}
	return out
}

// edsResponse is a state-of-the-world EDS response.
type edsResponse struct {
	req       *cachev3.Request
	version   string
	resources []types.Resource
	returned  map[string]string
}

func newEDSResponse(c *content, req *cachev3.Request, sub cachev3.Subscription, names []string) *edsResponse {
	items := c.groups[resourcev3.EndpointType].Items
	r := &edsResponse{req: req, version: c.versions[resourcev3.EndpointType], returned: returned(c, sub, names, nil)}
	for _, n := range names {
		r.resources = append(r.resources, items[n].Resource)
	}
	return r
}

// GetDiscoveryResponse marshals the response's assignments (pre-encoded:
// a copy of their bytes).
func (r *edsResponse) GetDiscoveryResponse() (*discoveryv3.DiscoveryResponse, error) {
	out := &discoveryv3.DiscoveryResponse{VersionInfo: r.version, TypeUrl: r.req.GetTypeUrl()}
	for _, m := range r.resources {
		a, err := anypb.New(m)
		if err != nil {
			return nil, err
		}
		out.Resources = append(out.Resources, a)
	}
	return out, nil
}

func (r *edsResponse) GetRequest() *discoveryv3.DiscoveryRequest { return r.req }

func (r *edsResponse) GetVersion() (string, error) { return r.version, nil }

func (r *edsResponse) GetResponseVersion() string { return r.version }

func (r *edsResponse) GetReturnedResources() map[string]string { return r.returned }

func (r *edsResponse) GetContext() context.Context { return context.Background() }

// edsDeltaResponse is a delta EDS response.
type edsDeltaResponse struct {
	content   *content
	req       *cachev3.DeltaRequest
	version   string
	names     []string
	resources []types.Resource
	versions  []string
	removed   []string
	returned  map[string]string
	// out is the message sent, once marshalled.
	out *discoveryv3.DeltaDiscoveryResponse
}

func newEDSDeltaResponse(c *content, req *cachev3.DeltaRequest, sub cachev3.Subscription, names, removed []string) *edsDeltaResponse {
	items := c.groups[resourcev3.EndpointType].Items
	versions := c.versionMap[resourcev3.EndpointType]
	r := &edsDeltaResponse{
		content: c, req: req, version: c.versions[resourcev3.EndpointType], names: names, removed: removed,
		returned: returned(c, sub, names, removed),
	}
	for _, n := range names {
		r.resources = append(r.resources, items[n].Resource)
		r.versions = append(r.versions, versions[n])
	}
	return r
}

// GetDeltaDiscoveryResponse marshals the response's assignments. The
// server sets the nonce of the message returned before sending it, which
// acksSynced reads (on the stream's goroutine, the one calling this).
func (r *edsDeltaResponse) GetDeltaDiscoveryResponse() (*discoveryv3.DeltaDiscoveryResponse, error) {
	if r.out != nil {
		return r.out, nil
	}
	out := &discoveryv3.DeltaDiscoveryResponse{
		TypeUrl: r.req.GetTypeUrl(), SystemVersionInfo: r.version, RemovedResources: r.removed,
	}
	for i, m := range r.resources {
		a, err := anypb.New(m)
		if err != nil {
			return nil, err
		}
		out.Resources = append(out.Resources, &discoveryv3.Resource{Name: r.names[i], Version: r.versions[i], Resource: a})
	}
	r.out = out
	return out, nil
}

func (r *edsDeltaResponse) GetDeltaRequest() *discoveryv3.DeltaDiscoveryRequest { return r.req }

func (r *edsDeltaResponse) GetSystemVersion() (string, error) { return r.version, nil }

func (r *edsDeltaResponse) GetResponseVersion() string { return r.version }

func (r *edsDeltaResponse) GetNextVersionMap() map[string]string { return r.returned }

func (r *edsDeltaResponse) GetReturnedResources() map[string]string { return r.returned }

func (r *edsDeltaResponse) GetContext() context.Context { return context.Background() }

// edsRouter sends EDS watches to the endpoint cache and every other watch
// to the snapshot caches.
type edsRouter struct {
	eds  *endpointCache
	rest cachev3.Cache
}

func (r edsRouter) CreateWatch(req *cachev3.Request, sub cachev3.Subscription, ch chan cachev3.Response) (func(), error) {
	if req.GetTypeUrl() == resourcev3.EndpointType {
		return r.eds.CreateWatch(req, sub, ch)
	}
	return r.rest.CreateWatch(req, sub, ch)
}

func (r edsRouter) CreateDeltaWatch(req *cachev3.DeltaRequest, sub cachev3.Subscription, ch chan cachev3.DeltaResponse) (func(), error) {
	if req.GetTypeUrl() == resourcev3.EndpointType {
		return r.eds.CreateDeltaWatch(req, sub, ch)
	}
	return r.rest.CreateDeltaWatch(req, sub, ch)
}

func (r edsRouter) Fetch(ctx context.Context, req *cachev3.Request) (cachev3.Response, error) {
	return r.rest.Fetch(ctx, req)
}
