package server

import (
	"context"
	"maps"
	"slices"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// partialTypes are the types the partial cache serves: those whose
// state-of-the-world responses need not hold every resource (the xDS
// protocol asks it of Listener and Cluster only).
var partialTypes = []resourcev3.Type{resourcev3.EndpointType, resourcev3.RouteType, resourcev3.SecretType}

func isPartialType(t resourcev3.Type) bool { return slices.Contains(partialTypes, t) }

// partialCache answers the RDS, EDS and SDS watches of every stream, state
// of the world and delta, in place of the snapshot caches, whose cost per
// update grows with the number of resources of a fleet: they compare,
// collect and marshal every resource of a type for every watch on every
// update, and compare every cluster with each delta stream's on any change.
// Here an update that patches a few assignments of the content a watch is
// synced to (an endpoint change) costs what those assignments cost, and a
// route change costs the route configurations it changes:
//
//   - a state-of-the-world response carries only the subscribed resources
//     whose version the stream does not have: a client keeps the resources
//     of these types a response does not name. Every content whose version
//     of the type differs from the request's gets a response, possibly
//     empty, so that each stream ACKs the version served (what FleetStatus
//     compares).
//   - a delta response carries the changed resources and the removed
//     names, and none is sent when nothing the stream subscribes to changed.
//   - resources are sent as their encoded bytes (entry.wire, or a route
//     configuration's parts), not marshalled again per response.
//
// A watch that is open (parked) has nothing pending against the current
// content of its type: when a content comes, a patch of the previous one
// (see content.edsBase, assignments only), only the patched names are
// compared with what the stream has; any other content is compared in
// full, as on a new watch.
//
// A response changes its stream's returned-resource map in place, when the
// stream takes the map (GetReturnedResources, GetNextVersionMap: on the
// stream's goroutine, after sending it): not a copy of the 20,000 versions
// of an EDS subscription per response. No watch of the stream for the type
// is open then (the go-control-plane servers take a response of a type, or
// drop it, before opening the type's next watch), so the cache, which reads
// the map of open watches only, never reads it concurrently; a response the
// stream drops changes nothing. Responses are sent while holding the
// cache's lock, as the snapshot caches do: a stream has at most one open
// watch per type and the go-control-plane servers' response channels hold
// one response per type, so a send never blocks.
type partialCache struct {
	mu     sync.Mutex
	fleets map[string]*partialFleet
	nextID int64
}

// partialFleet is, for each type, the content one fleet serves now (none
// before the first) and the open watches of its streams.
type partialFleet struct {
	cur   map[resourcev3.Type]*content
	sotw  map[resourcev3.Type]map[int64]*sotwWatch
	delta map[resourcev3.Type]map[int64]*deltaWatch
	// deltaSent is the last response of the current content sent to each
	// delta stream and type, by the stream's node (the go-control-plane
	// server gives every request of a stream the node object of its
	// first). The stream's ACK of it, changing no subscription, has nothing
	// pending: its watch waits without comparing every resource.
	deltaSent map[sentKey]*deltaResponse
}

type sentKey struct {
	node *corev3.Node
	typ  resourcev3.Type
}

type sotwWatch struct {
	req *cachev3.Request
	sub cachev3.Subscription
	ch  chan cachev3.Response
}

type deltaWatch struct {
	req *cachev3.DeltaRequest
	sub cachev3.Subscription
	ch  chan cachev3.DeltaResponse
}

func newPartialCache() *partialCache {
	return &partialCache{fleets: map[string]*partialFleet{}}
}

func (p *partialCache) fleet(name string) *partialFleet {
	f := p.fleets[name]
	if f == nil {
		f = &partialFleet{
			cur:       map[resourcev3.Type]*content{},
			sotw:      map[resourcev3.Type]map[int64]*sotwWatch{},
			delta:     map[resourcev3.Type]map[int64]*deltaWatch{},
			deltaSent: map[sentKey]*deltaResponse{},
		}
		for _, t := range partialTypes {
			f.sotw[t], f.delta[t] = map[int64]*sotwWatch{}, map[int64]*deltaWatch{}
		}
		p.fleets[name] = f
	}
	return f
}

// set makes c the content of fleet for type t and answers the open watches
// of t it gives something to.
func (p *partialCache) set(fleet string, c *content, t resourcev3.Type) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.fleet(fleet)
	prev := f.cur[t]
	f.cur[t] = c
	var base *content
	if t == resourcev3.EndpointType {
		base = c.edsBase
		c.edsBase = nil // read once: contents must not hold on to their predecessors
	}
	maps.DeleteFunc(f.deltaSent, func(k sentKey, _ *deltaResponse) bool { return k.typ == t })
	if prev != nil && prev.versions[t] == c.versions[t] {
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
	for id, w := range f.sotw[t] {
		names := sotwPending(c, t, w.sub, changed)
		w.ch <- newSotwResponse(c, t, w.req, w.sub, names)
		delete(f.sotw[t], id)
	}
	for id, w := range f.delta[t] {
		names, removed := deltaPending(c, t, w.sub, changed)
		if len(names) == 0 && len(removed) == 0 {
			continue
		}
		w.ch <- f.deltaResponse(c, t, w.req, w.sub, names, removed)
		delete(f.delta[t], id)
	}
}

// CreateWatch answers a state-of-the-world request at once when the
// stream's version differs from the content's or the stream subscribes to
// resources it does not have; otherwise the watch waits for a content.
func (p *partialCache) CreateWatch(req *cachev3.Request, sub cachev3.Subscription, ch chan cachev3.Response) (func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name, t := nodeHash{}.ID(req.GetNode()), req.GetTypeUrl()
	f := p.fleet(name)
	if c := f.cur[t]; c != nil {
		version := c.versions[t]
		synced := req.GetVersionInfo() == version && !sub.IsWildcard() &&
			len(sub.SubscribedResources()) == len(sub.ReturnedResources())
		if !synced {
			names := sotwPending(c, t, sub, nil)
			if len(names) > 0 || req.GetVersionInfo() != version {
				ch <- newSotwResponse(c, t, req, sub, names)
				return func() {}, nil
			}
		}
	}
	p.nextID++
	id := p.nextID
	f.sotw[t][id] = &sotwWatch{req: req, sub: sub, ch: ch}
	return func() { p.cancel(name, t, id, false) }, nil
}

// CreateDeltaWatch answers a delta request at once when the stream lacks
// subscribed resources, has removed ones, or opens a wildcard
// subscription; otherwise the watch waits for a content.
func (p *partialCache) CreateDeltaWatch(req *cachev3.DeltaRequest, sub cachev3.Subscription, ch chan cachev3.DeltaResponse) (func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name, t := nodeHash{}.ID(req.GetNode()), req.GetTypeUrl()
	f := p.fleet(name)
	if c := f.cur[t]; c != nil && !f.acksSynced(c, t, req) {
		names, removed := deltaPending(c, t, sub, nil)
		if len(names) > 0 || len(removed) > 0 || (sub.IsWildcard() && req.GetResponseNonce() == "") {
			ch <- f.deltaResponse(c, t, req, sub, names, removed)
			return func() {}, nil
		}
	}
	p.nextID++
	id := p.nextID
	f.delta[t][id] = &deltaWatch{req: req, sub: sub, ch: ch}
	return func() { p.cancel(name, t, id, true) }, nil
}

func (p *partialCache) cancel(fleet string, t resourcev3.Type, id int64, delta bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.fleets[fleet]
	if f == nil {
		return
	}
	if delta {
		delete(f.delta[t], id)
	} else {
		delete(f.sotw[t], id)
	}
	if len(f.cur) == 0 && f.idle() {
		delete(p.fleets, fleet) // a stream of a fleet never served
	}
}

// idle reports whether the fleet has no open watch.
func (f *partialFleet) idle() bool {
	for _, t := range partialTypes {
		if len(f.sotw[t]) > 0 || len(f.delta[t]) > 0 {
			return false
		}
	}
	return true
}

// deltaResponse is a delta response to a stream of the fleet, remembered
// as the last one of the stream for its type.
func (f *partialFleet) deltaResponse(c *content, t resourcev3.Type, req *cachev3.DeltaRequest, sub cachev3.Subscription, names, removed []string) *deltaResponse {
	r := newDeltaResponse(c, t, req, sub, names, removed)
	if req.GetNode() != nil {
		f.deltaSent[sentKey{node: req.GetNode(), typ: t}] = r
	}
	return r
}

// acksSynced reports whether req ACKs the last response of c sent to its
// stream for type t, without changing its subscription.
func (f *partialFleet) acksSynced(c *content, t resourcev3.Type, req *cachev3.DeltaRequest) bool {
	k := sentKey{node: req.GetNode(), typ: t}
	r := f.deltaSent[k]
	delete(f.deltaSent, k)
	return r != nil && r.content == c && r.out != nil && req.GetResponseNonce() != "" &&
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
// when given, otherwise every subscribed resource of type t of c.
func candidates(c *content, t resourcev3.Type, sub cachev3.Subscription, changed []string) []string {
	if changed != nil {
		return changed
	}
	if sub.IsWildcard() {
		out := make([]string, len(c.entries[t]))
		for i, e := range c.entries[t] {
			out[i] = e.name
		}
		return out
	}
	out := make([]string, 0, len(sub.SubscribedResources()))
	for n := range sub.SubscribedResources() {
		if _, ok := c.byName[t].get(n); ok {
			out = append(out, n)
		}
	}
	return out
}

// sotwPending are the subscribed resources of type t of c (among changed,
// when given) whose version the stream does not have, sorted.
func sotwPending(c *content, t resourcev3.Type, sub cachev3.Subscription, changed []string) []string {
	known := sub.ReturnedResources()
	var out []string
	for _, n := range candidates(c, t, sub, changed) {
		e, ok := c.byName[t].get(n)
		if ok && subscribes(sub, n) && known[n] != e.version {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// deltaPending are the subscribed resources of type t of c (among changed,
// when given) whose version the stream does not have, and the names the
// stream has that c no longer serves (none for a patch), both sorted.
func deltaPending(c *content, t resourcev3.Type, sub cachev3.Subscription, changed []string) (names, removed []string) {
	names = sotwPending(c, t, sub, changed)
	if changed != nil {
		return names, nil
	}
	for n := range sub.ReturnedResources() {
		if _, ok := c.byName[t].get(n); !ok && subscribes(sub, n) {
			removed = append(removed, n)
		}
	}
	slices.Sort(removed)
	return names, removed
}

// returnedUpdate is what a response changes in its stream's
// returned-resource map: the versions of the resources it carries, and the
// names it removes.
type returnedUpdate struct {
	content *content
	typ     resourcev3.Type
	sub     cachev3.Subscription
	names   []string
	removed []string
	// out is the updated map, once taken.
	out map[string]string
}

// take returns the stream's returned-resource map with the response's
// changes, made in place on the first call (see partialCache).
func (u *returnedUpdate) take() map[string]string {
	if u.out != nil {
		return u.out
	}
	out := u.sub.ReturnedResources()
	if out == nil {
		out = make(map[string]string, len(u.names))
	}
	for _, n := range u.names {
		out[n] = u.content.version(u.typ, n)
	}
	for _, n := range u.removed {
		delete(out, n)
	}
	u.out = out
	return out
}

// wireOf returns the encoded bytes of the served resources of type t of c
// named names, as Any messages.
func wireOf(c *content, t resourcev3.Type, names []string) []*anypb.Any {
	out := make([]*anypb.Any, len(names))
	for i, n := range names {
		out[i] = c.value(t, n)
	}
	return out
}

// sotwResponse is a state-of-the-world response.
type sotwResponse struct {
	req       *cachev3.Request
	version   string
	resources []*anypb.Any
	returned  returnedUpdate
}

func newSotwResponse(c *content, t resourcev3.Type, req *cachev3.Request, sub cachev3.Subscription, names []string) *sotwResponse {
	return &sotwResponse{
		req: req, version: c.versions[t], resources: wireOf(c, t, names),
		returned: returnedUpdate{content: c, typ: t, sub: sub, names: names},
	}
}

// GetDiscoveryResponse returns the response message.
func (r *sotwResponse) GetDiscoveryResponse() (*discoveryv3.DiscoveryResponse, error) {
	return &discoveryv3.DiscoveryResponse{VersionInfo: r.version, TypeUrl: r.req.GetTypeUrl(), Resources: r.resources}, nil
}

func (r *sotwResponse) GetRequest() *discoveryv3.DiscoveryRequest { return r.req }

func (r *sotwResponse) GetVersion() (string, error) { return r.version, nil }

func (r *sotwResponse) GetResponseVersion() string { return r.version }

func (r *sotwResponse) GetReturnedResources() map[string]string { return r.returned.take() }

func (r *sotwResponse) GetContext() context.Context { return context.Background() }

// deltaResponse is a delta response.
type deltaResponse struct {
	content  *content
	req      *cachev3.DeltaRequest
	version  string
	removed  []string
	returned returnedUpdate
	// out is the message, built at once: the server sets its nonce before
	// sending it, which acksSynced reads (on the stream's goroutine, the
	// one sending).
	out *discoveryv3.DeltaDiscoveryResponse
}

func newDeltaResponse(c *content, t resourcev3.Type, req *cachev3.DeltaRequest, sub cachev3.Subscription, names, removed []string) *deltaResponse {
	out := &discoveryv3.DeltaDiscoveryResponse{TypeUrl: t, SystemVersionInfo: c.versions[t], RemovedResources: removed}
	for i, a := range wireOf(c, t, names) {
		out.Resources = append(out.Resources, &discoveryv3.Resource{Name: names[i], Version: c.version(t, names[i]), Resource: a})
	}
	return &deltaResponse{
		content: c, req: req, version: c.versions[t], removed: removed,
		returned: returnedUpdate{content: c, typ: t, sub: sub, names: names, removed: removed}, out: out,
	}
}

// GetDeltaDiscoveryResponse returns the response message.
func (r *deltaResponse) GetDeltaDiscoveryResponse() (*discoveryv3.DeltaDiscoveryResponse, error) {
	return r.out, nil
}

func (r *deltaResponse) GetDeltaRequest() *discoveryv3.DeltaDiscoveryRequest { return r.req }

func (r *deltaResponse) GetSystemVersion() (string, error) { return r.version, nil }

func (r *deltaResponse) GetResponseVersion() string { return r.version }

func (r *deltaResponse) GetNextVersionMap() map[string]string { return r.returned.take() }

func (r *deltaResponse) GetReturnedResources() map[string]string { return r.returned.take() }

func (r *deltaResponse) GetContext() context.Context { return context.Background() }

// partialRouter sends RDS, EDS and SDS watches to the partial cache and
// every other watch to the snapshot caches.
type partialRouter struct {
	partial *partialCache
	rest    cachev3.Cache
}

func (r partialRouter) CreateWatch(req *cachev3.Request, sub cachev3.Subscription, ch chan cachev3.Response) (func(), error) {
	if isPartialType(req.GetTypeUrl()) {
		return r.partial.CreateWatch(req, sub, ch)
	}
	return r.rest.CreateWatch(req, sub, ch)
}

func (r partialRouter) CreateDeltaWatch(req *cachev3.DeltaRequest, sub cachev3.Subscription, ch chan cachev3.DeltaResponse) (func(), error) {
	if isPartialType(req.GetTypeUrl()) {
		return r.partial.CreateDeltaWatch(req, sub, ch)
	}
	return r.rest.CreateDeltaWatch(req, sub, ch)
}

func (r partialRouter) Fetch(ctx context.Context, req *cachev3.Request) (cachev3.Response, error) {
	return r.rest.Fetch(ctx, req)
}
