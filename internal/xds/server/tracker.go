package server

import (
	"slices"
	"sync"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/anypb"
)

// maxSentKept bounds the responses remembered per stream and type, to find
// the version a NACK's nonce rejects.
const maxSentKept = 4

// maxOldEndpoints bounds the EDS versions remembered as still acceptable
// after endpoint-only updates (see fleetTrack.oldEndpoints).
const maxOldEndpoints = 8

// tracker follows, per fleet and per connected proxy (xDS stream), the
// version of each type sent, ACKed and NACKed, and what each fleet serves
// now. It is fed by the stream callbacks and by setSnapshots, and read by
// FleetStatus. onChange is called, without the lock, after every event that
// may change a proxy's state; onPropagated, if set, with the lock held,
// each time a fleet's configuration has reached every connected proxy of
// the fleet.
type tracker struct {
	onChange     func()
	onPropagated func()
	latency      prometheus.Histogram
	now          func() time.Time

	mu      sync.Mutex
	fleets  map[string]*fleetTrack
	streams map[int64]*streamTrack
	// stats outlive configuration changes; forget drops them.
	stats map[string]*fleetStats
}

// fleetStats are a fleet's NACK counts and last propagation latency.
type fleetStats struct {
	nacks       map[string]int // by type URL
	propagation time.Duration
}

// fleetTrack is what a fleet serves now.
type fleetTrack struct {
	versions map[string]string // by type URL
	nonEmpty map[string]bool   // types with at least one resource
	// routes are the route configurations served, by name (the content's
	// index, shared and read-only).
	routes *nameIndex
	// content is what the fleet serves (read-only), whose resource names
	// the names of sent responses share.
	content *content
	// oldEndpoints are the EDS versions replaced by endpoint-only updates
	// since the last update of another type: a proxy still holding one of
	// them holds the configuration built from the current inputs, with
	// older endpoints.
	oldEndpoints []string
	// setAt is when the configuration was set; observed says whether its
	// propagation latency was recorded.
	setAt    time.Time
	observed bool
}

type streamTrack struct {
	fleet, node, protocol string
	id                    int64
	types                 map[string]*typeTrack
	// synced says the stream has held its fleet's whole configuration
	// (see ProxyStatus.Synced).
	synced bool
}

type typeTrack struct {
	subscribed bool
	status     TypeStatus
	sent       []sentResponse // newest last
}

// sentResponse is what the tracker keeps of a response: the names of its
// resources, and for route configurations (whose routes a NACK may name)
// the served messages of the content the response came from, shared with
// it. It does not keep the response's encoded resources: at 10,000 routes
// the last responses of two proxies held about 90 MB of them.
type sentResponse struct {
	nonce, version string
	names          []string
	// routes are the route configurations sent, as served (see encoder);
	// raw are the encoded ones when the content that version came from
	// is no longer the fleet's (a response racing a newer update).
	routes []types.Resource
	raw    []*anypb.Any
}

func newTracker(onChange func()) *tracker {
	if onChange == nil {
		onChange = func() {}
	}
	return &tracker{
		onChange: onChange,
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "envoy_gateway_xds_propagation_duration_seconds",
			Help: "Time from a fleet's configuration being set on the xDS server to the last connected proxy of the fleet ACKing all of it.",
			// 1 ms to about 65 s.
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 17),
		}),
		now:     time.Now,
		fleets:  map[string]*fleetTrack{},
		streams: map[int64]*streamTrack{},
		stats:   map[string]*fleetStats{},
	}
}

// statsOf returns the stats of fleet. t.mu must be held.
func (t *tracker) statsOf(fleet string) *fleetStats {
	st := t.stats[fleet]
	if st == nil {
		st = &fleetStats{nacks: map[string]int{}}
		t.stats[fleet] = st
	}
	return st
}

// contentSet records that fleet serves c from now on.
func (t *tracker) contentSet(fleet string, c *content) {
	f := &fleetTrack{versions: map[string]string{}, nonEmpty: map[string]bool{}, routes: c.byName[resourcev3.RouteType], content: c}
	for _, typ := range servedTypes {
		f.versions[typ] = c.versions[typ]
		f.nonEmpty[typ] = len(c.entries[typ]) > 0
	}
	t.mu.Lock()
	f.setAt = t.now()
	if prev := t.fleets[fleet]; prev != nil && endpointsOnly(prev.versions, f.versions) {
		f.oldEndpoints = append(slices.Clone(prev.oldEndpoints), prev.versions[resourcev3.EndpointType])
		if len(f.oldEndpoints) > maxOldEndpoints {
			f.oldEndpoints = f.oldEndpoints[len(f.oldEndpoints)-maxOldEndpoints:]
		}
	}
	t.fleets[fleet] = f
	t.observe(fleet)
	t.mu.Unlock()
	t.onChange()
}

// forget drops what fleet serves: it is no longer served.
func (t *tracker) forget(fleet string) {
	t.mu.Lock()
	delete(t.fleets, fleet)
	delete(t.stats, fleet)
	t.mu.Unlock()
	t.onChange()
}

// endpointsOnly reports whether only the EDS version differs.
func endpointsOnly(prev, next map[string]string) bool {
	for _, typ := range servedTypes {
		if typ != resourcev3.EndpointType && prev[typ] != next[typ] {
			return false
		}
	}
	return prev[resourcev3.EndpointType] != next[resourcev3.EndpointType]
}

// opened registers a stream on its first request.
func (t *tracker) opened(key int64, s streamInfo) {
	t.mu.Lock()
	t.streams[key] = &streamTrack{fleet: s.fleet, node: s.node, protocol: s.protocol, id: key, types: map[string]*typeTrack{}}
	t.mu.Unlock()
	t.onChange()
}

// closed forgets a stream.
func (t *tracker) closed(key int64) {
	t.mu.Lock()
	s, ok := t.streams[key]
	delete(t.streams, key)
	if ok {
		t.observe(s.fleet)
	}
	t.mu.Unlock()
	if ok {
		t.onChange()
	}
}

// sent records a response: its nonce, version and resources.
func (t *tracker) sent(key int64, typeURL, version, nonce string, resources []*anypb.Any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tt := t.typ(key, typeURL)
	if tt == nil {
		return
	}
	tt.status.Sent = version
	r := sentResponse{nonce: nonce, version: version, names: make([]string, len(resources))}
	var served *content
	if f := t.fleets[t.streams[key].fleet]; f != nil {
		served = f.content
	}
	for i, a := range resources {
		r.names[i] = resourceName(a, served)
	}
	if typeURL == resourcev3.RouteType {
		r.routes, r.raw = t.sentRoutes(t.streams[key].fleet, version, r.names, resources)
	}
	tt.sent = append(tt.sent, r)
	if len(tt.sent) > maxSentKept {
		tt.sent = slices.Delete(tt.sent, 0, len(tt.sent)-maxSentKept)
	}
}

// sentRoutes returns the served route configurations of names when
// version is the one fleet serves; otherwise resources themselves.
// t.mu must be held.
func (t *tracker) sentRoutes(fleet, version string, names []string, resources []*anypb.Any) ([]types.Resource, []*anypb.Any) {
	f := t.fleets[fleet]
	if f == nil || f.versions[resourcev3.RouteType] != version {
		return nil, resources
	}
	out := make([]types.Resource, 0, len(names))
	for _, n := range names {
		e, ok := f.routes.get(n)
		if !ok {
			return nil, resources
		}
		out = append(out, e.served())
	}
	return out, nil
}

// requested records a request. acked is the version the request says the
// proxy holds: SotW's version_info, or for delta the version of the
// response the nonce ACKs ("" to look it up). detail is the NACK's
// error_detail message, "" for an ACK or a subscription. For a NACK it
// returns the version rejected, "" when not known.
func (t *tracker) requested(key int64, typeURL, acked, nonce, detail string, nack bool) (rejected string) {
	t.mu.Lock()
	tt := t.typ(key, typeURL)
	if tt == nil {
		t.mu.Unlock()
		return ""
	}
	tt.subscribed = true
	resp, found := tt.response(nonce)
	switch {
	case nack:
		t.statsOf(t.streams[key].fleet).nacks[typeURL]++
		tt.status = TypeStatus{Sent: tt.status.Sent, Acked: tt.status.Acked, ErrorDetail: detail}
		if found {
			tt.status.Nacked = resp.version
			tt.status.Rejected = rejectedNames(resp.names, detail)
			tt.status.RejectedRoutes = rejectedRoutes(resp.routeConfigurations(), tt.status.Rejected, detail)
		}
		if acked != "" {
			tt.status.Acked = acked
		}
	case acked != "":
		tt.status.Acked = acked
	case found && nonce != "":
		tt.status.Acked = resp.version
	}
	fleet := t.streams[key].fleet
	t.noteSynced(t.streams[key])
	t.observe(fleet)
	if nack {
		rejected = tt.status.Nacked
	}
	t.mu.Unlock()
	t.onChange()
	return rejected
}

// noteSynced marks s synced once it holds its fleet's whole configuration.
// t.mu must be held.
func (t *tracker) noteSynced(s *streamTrack) {
	f := t.fleets[s.fleet]
	if s.synced || f == nil {
		return
	}
	if state, _ := f.proxyState(s); state == ProxyApplied {
		s.synced = true
	}
}

// typ returns the state of typeURL on stream key, nil for an unknown stream.
// t.mu must be held.
func (t *tracker) typ(key int64, typeURL string) *typeTrack {
	s := t.streams[key]
	if s == nil {
		return nil
	}
	tt := s.types[typeURL]
	if tt == nil {
		tt = &typeTrack{}
		s.types[typeURL] = tt
	}
	return tt
}

func (tt *typeTrack) response(nonce string) (sentResponse, bool) {
	if nonce == "" {
		return sentResponse{}, false
	}
	for _, r := range tt.sent {
		if r.nonce == nonce {
			return r, true
		}
	}
	return sentResponse{}, false
}

// observe records the propagation latency of fleet's configuration once
// every connected proxy of the fleet holds it. t.mu must be held.
func (t *tracker) observe(fleet string) {
	f := t.fleets[fleet]
	if f == nil || f.observed {
		return
	}
	connected := 0
	for _, s := range t.streams {
		if s.fleet != fleet {
			continue
		}
		connected++
		if st, _ := f.proxyState(s); st != ProxyApplied {
			return
		}
	}
	if connected == 0 {
		return
	}
	f.observed = true
	took := t.now().Sub(f.setAt)
	t.statsOf(fleet).propagation = took
	t.latency.Observe(took.Seconds())
	if t.onPropagated != nil {
		t.onPropagated()
	}
}
