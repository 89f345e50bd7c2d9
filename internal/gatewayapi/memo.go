package gatewayapi

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Translator translates snapshot after snapshot like Translate, memoizing
// the work of each HTTPRoute so that a snapshot where few routes changed
// costs little more than those routes. Its results are exactly Translate's
// (a test checks it over random sequences of changes).
//
// What is memoized, per HTTPRoute object (by pointer: providers keep the
// object of an unchanged route, and published objects are never
// modified; with Resources.GenerationTracksSpec, a new object of an
// unchanged route takes the old one's memo over, see rekeyRoutes):
//   - the route built once, whatever its parents: validated hostnames and
//     rules, with their IR templates, data-plane checks and clusters
//     (buildHTTPRoute). Building reads other objects only through
//     Services, ReferenceGrants and RateLimitFilters; the memo records each
//     such read and its answer, and is used only while every read still
//     gets the same answer (the same Service or RateLimitFilter object, the
//     same grant decision);
//   - the IR routes it emitted on each listener (by listener, port and
//     hostnames), so that an unchanged route keeps its *ir.HTTPRoute
//     pointers, which is what lets the xDS translator's Cache skip it;
//   - per HTTP listener, its routes in precedence order and the IR route
//     slice made from them (listenerroutes.go): a call merges the routes
//     of the entries that came and went into the last order instead of
//     sorting every route again, and hands out the same slice when
//     nothing changed on the listener.
//
// The index of the input (Services, grants, ... by key) is taken over from
// the previous call for each kind whose objects are the same (see
// newIndexFrom); while a route's reads were answered from the same maps,
// they are not asked again.
//
// Attachment to parents, statuses and fleets are computed again on every
// call; they read the memoized routes.
//
// A Translator keeps what the last call used, nothing older. It is not safe
// for concurrent use.
type Translator struct {
	opts Options
	gen  uint64
	http map[*gwapiv1.HTTPRoute]*httpRouteMemo
	// listeners are the ordered routes of each HTTP listener (by IR
	// name) in the last call, and mark the last mark listenerRoutes used.
	listeners map[string]*orderedListener
	// usedClusters are the cluster names of each fleet in the last call
	// (see translator.usedClusters).
	usedClusters map[string]*usedClustersMemo
	mark         uint64
	// clusters are the clusters of the last call, by name: a cluster built
	// again equal to the last call's is that cluster (see
	// translator.cluster); clustersServices is the generation of the
	// Services map they were built from. A call with the same Services
	// starts from them.
	clusters         map[string]*ir.Cluster
	clustersServices uint64
	// statusOrder is, by route kind, the order that sorted the last
	// call's route statuses (see sortedRouteStatuses).
	statusOrder map[string][]int
	// acceptedConditions are, by generation, the conditions of a route
	// accepted by a parent with every reference resolved: every such
	// route's status holds them (see translator.routeConditions).
	acceptedConditions map[int64][]metav1.Condition
	// idx is the last call's index, and idxGen counts the index's map
	// builds (see newIndexFrom).
	idx    *index
	idxGen uint64
	// routeSeen is the calls' set of routes seen (see translator.seenRoute),
	// emptied by each full translation.
	routeSeen map[routeKey]bool
	// last is the last call's input, model and result, which patchRoutes
	// patches; patched says whether it answered the last call.
	last    *lastCall
	patched bool
}

// NewTranslator returns a Translator with the given options.
func NewTranslator(opts Options) *Translator {
	return &Translator{
		opts: opts, http: map[*gwapiv1.HTTPRoute]*httpRouteMemo{}, listeners: map[string]*orderedListener{},
		usedClusters: map[string]*usedClustersMemo{},
		statusOrder:  map[string][]int{}, acceptedConditions: map[int64][]metav1.Condition{},
	}
}

// Translate is the package's Translate with the translator's options,
// reusing the memoized work of routes that did not change.
func (tr *Translator) Translate(res *Resources) *Result {
	var out *Result
	lastRoutes := tr.rekeyRoutes(res)
	if out, tr.patched = tr.patchRoutes(res, lastRoutes); tr.patched {
		return out
	}
	tr.gen++
	out = translate(res, tr.opts, tr)
	for k, l := range tr.listeners {
		if l.gen != tr.gen {
			delete(tr.listeners, k)
		}
	}
	for k, u := range tr.usedClusters {
		if u.gen != tr.gen {
			delete(tr.usedClusters, k)
		}
	}
	for k, m := range tr.http {
		if m.gen != tr.gen {
			delete(tr.http, k)
			continue
		}
		if m.emittedUsed == len(m.emitted) {
			continue // all used: nothing to drop, no need to look
		}
		m.emitted = slices.DeleteFunc(m.emitted, func(e *emittedRoutes) bool { return e.gen != tr.gen })
	}
	return out
}

// Patched reports whether the last call patched the model of the call
// before it (HTTPRoutes changed, nothing else: see patchRoutes) rather
// than translating in full.
func (tr *Translator) Patched() bool { return tr.patched }

// usedClustersMemo is what usedClusters found for a fleet in the call gen:
// the IR names of its HTTP listeners, the clusters of its TLS and TCP
// listeners, and all its cluster names, sorted; and the clusters of those
// names, looked up in the map from (translator.clusters, to which entries
// are only ever added).
type usedClustersMemo struct {
	gen       uint64
	listeners []string
	other     []string
	names     []string
	clusters  []*ir.Cluster
	from      map[string]*ir.Cluster
}

// httpRouteMemo is the memoized work of one HTTPRoute object.
type httpRouteMemo struct {
	// gen is the last call that used the memo.
	gen uint64
	// built is the route as buildHTTPRoute made it (no parents).
	built *httpRouteModel
	reads reads
	// checked are the gens of the index maps the reads last got their
	// answers from: while the index has the same maps, they still do.
	checked readGens
	// clusters are the clusters building the route looked up, in order.
	clusters []*ir.Cluster
	// emitted are the IR routes emitted on each listener (each key
	// once), and emittedUsed how many of them the call gen used. A list,
	// not a map: a route has a few, and a map of them cost about 370
	// bytes more a route (BenchmarkTranslatorHeap, 10,000 routes: 53.9
	// MB with maps, 50.2 with lists).
	emitted     []*emittedRoutes
	emittedUsed int
	// status is the route's status as last computed, from the parent
	// outcomes statusFrom (see httpRouteStatus); nil before.
	status     *RouteStatus
	statusFrom []parentOutcome
}

// parentOutcome is what a route's status says of one parent: the parent
// reference and why the parent does not accept the route, if it does not.
type parentOutcome struct {
	ref         gwapiv1.ParentReference
	hasErr      bool
	reason, msg string
}

func outcomesOf(parents []*parentAttachment) []parentOutcome {
	out := make([]parentOutcome, len(parents))
	for i, p := range parents {
		out[i] = parentOutcome{ref: p.ref}
		if p.err != nil {
			out[i].hasErr, out[i].reason, out[i].msg = true, string(p.err.reason), p.err.msg
		}
	}
	return out
}

// sameOutcomes reports whether parents have the outcomes of before.
func sameOutcomes(before []parentOutcome, parents []*parentAttachment) bool {
	if len(before) != len(parents) {
		return false
	}
	for i, p := range parents {
		b := before[i]
		if (p.err != nil) != b.hasErr || p.err != nil && (string(p.err.reason) != b.reason || p.err.msg != b.msg) ||
			!sameParentRef(b.ref, p.ref) {
			return false
		}
	}
	return true
}

// sameParentRef reports whether two parent references are equal (their
// pointers pointing at equal values).
func sameParentRef(a, b gwapiv1.ParentReference) bool {
	return a.Name == b.Name && samePointee(a.Group, b.Group) && samePointee(a.Kind, b.Kind) &&
		samePointee(a.Namespace, b.Namespace) && samePointee(a.SectionName, b.SectionName) && samePointee(a.Port, b.Port)
}

func samePointee[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// emittedRoutes are the IR routes a route emitted on one listener, and the
// last call that used them. Its routes are never modified once emitted.
type emittedRoutes struct {
	// key is the listener, port and hostnames they were emitted for.
	key    emitKey
	gen    uint64
	routes []orderedHTTPRoute
	// cur and prev are marks listenerRoutes uses to tell which entries a
	// listener has now and had before.
	cur, prev uint64
	// clusters are the names of the clusters the routes use (usedClusters).
	clusters []string
}

// emitKey is what the IR routes a route emits on a listener depend on
// besides the route: the listener, its port (redirects to the listener's
// port) and the hostnames served there.
type emitKey struct {
	listener  string
	port      int32
	hostnames string
}

func emitKeyOf(l *listenerModel, hostnames []string) emitKey {
	return emitKey{listener: l.irName(), port: l.port, hostnames: strings.Join(hostnames, ",")}
}

// reads are what building a route read from other objects, with the answers.
type reads struct {
	services []serviceRead
	grants   []grantRead
	filters  []filterRead
}

type filterRead struct {
	key    types.NamespacedName
	filter *egv1a1.RateLimitFilter
}

type serviceRead struct {
	key types.NamespacedName
	svc *corev1.Service
}

type grantRead struct {
	from, to objectRef
	allowed  bool
}

// sameAnswers reports whether every read gets the same answer now.
func (r *reads) sameAnswers(ix *index) bool {
	for _, s := range r.services {
		if ix.services[s.key] != s.svc {
			return false
		}
	}
	for _, g := range r.grants {
		if ix.refAllowed(g.from, g.to) != g.allowed {
			return false
		}
	}
	for _, f := range r.filters {
		if ix.rateLimitFilters[f.key] != f.filter {
			return false
		}
	}
	return true
}

// rateLimitFilter returns the RateLimitFilter of key, recording the read
// while a route is being built for the memo.
func (t *translator) rateLimitFilter(key types.NamespacedName) *egv1a1.RateLimitFilter {
	f := t.idx.rateLimitFilters[key]
	if t.recording != nil {
		t.recording.reads.filters = append(t.recording.reads.filters, filterRead{key: key, filter: f})
	}
	return f
}

// service returns the Service of key, recording the read while a route is
// being built for the memo.
func (t *translator) service(key types.NamespacedName) *corev1.Service {
	svc := t.idx.services[key]
	if t.recording != nil {
		t.recording.reads.services = append(t.recording.reads.services, serviceRead{key: key, svc: svc})
	}
	return svc
}

// refAllowed is index.refAllowed, recording the read while a route is
// being built for the memo. A reference within a namespace is always
// allowed, whatever the ReferenceGrants: it is not recorded (at 10,000
// routes with two backendRefs each, 20,000 reads of about 150 bytes the
// memo would keep and check on every translation).
func (t *translator) refAllowed(from, to objectRef) bool {
	allowed := t.idx.refAllowed(from, to)
	if t.recording != nil && from.namespace != to.namespace {
		t.recording.reads.grants = append(t.recording.reads.grants, grantRead{from: from, to: to, allowed: allowed})
	}
	return allowed
}

// usedCluster notes, while a route is being built for the memo, a cluster
// it refers to.
func (t *translator) usedCluster(c *ir.Cluster) {
	if t.recording != nil {
		t.recording.clusters = append(t.recording.clusters, c)
	}
}

// httpRoute returns the built model of an HTTPRoute: from the memo when
// the route's reads get the same answers, otherwise built and memoized.
// The model returned is the memo's: its parents are this call's, its built
// parts are never modified.
func (t *translator) httpRoute(obj *gwapiv1.HTTPRoute) *httpRouteModel {
	tr := t.memo
	if tr == nil {
		return t.buildHTTPRoute(obj)
	}
	m, ok := tr.http[obj]
	if ok && m.checked != t.idx.gens && m.reads.sameAnswers(t.idx) {
		m.checked = t.idx.gens
	}
	if !ok || m.checked != t.idx.gens {
		m = &httpRouteMemo{checked: t.idx.gens}
		t.recording = m
		m.built = t.buildHTTPRoute(obj)
		t.recording = nil
		tr.http[obj] = m
	} else if !t.clustersKept { // else the route's clusters are there
		for _, c := range m.clusters {
			if t.clusters[c.Name] == nil {
				t.clusters[c.Name] = c
			}
		}
	}
	if m.gen != tr.gen {
		m.gen, m.emittedUsed = tr.gen, 0
	}
	// The memo's model itself, its parents (the last call's, filled again
	// by attachHTTPRoute) this call's: no copy of 10,000 models per call.
	m.built.memo = m
	return m.built
}

// sameRoutes returns the IR routes this memo emitted on another listener
// with the same hostnames as key's (and the same port when portUsed: a
// redirect to the listener's port), as a new list of the same IR routes:
// the routes of a rule depend on nothing else of the listener, so the
// listeners share them (an HTTPRoute attached to the HTTP and HTTPS
// listeners of a Gateway, or to two ports, holds one IR route per match
// and hostname, not one per listener). The list is the listener's own
// (listenerRoutes takes its elements' addresses).
func (m *httpRouteMemo) sameRoutes(key emitKey, portUsed bool) ([]orderedHTTPRoute, bool) {
	for _, e := range m.emitted {
		if e.key.hostnames == key.hostnames && (!portUsed || e.key.port == key.port) {
			return slices.Clone(e.routes), true
		}
	}
	return nil, false
}

// listenerPortUsed reports whether one of m's rules has a redirect whose
// port is the listener's (redirectPort: neither a port nor a scheme given).
func (m *httpRouteModel) listenerPortUsed() bool {
	return slices.ContainsFunc(m.rules, func(r *httpRule) bool { return r.redirectToListenerPort })
}

// emitted returns the IR routes of m on listener l with hostnames, from the
// memo when there is one, otherwise from emit (and memoizes them).
func (m *httpRouteModel) emitted(l *listenerModel, hostnames []string, emit func() []orderedHTTPRoute) *emittedRoutes {
	if m.memo == nil {
		return &emittedRoutes{routes: emit()}
	}
	key := emitKeyOf(l, hostnames)
	i := slices.IndexFunc(m.memo.emitted, func(e *emittedRoutes) bool { return e.key == key })
	var e *emittedRoutes
	if i >= 0 {
		e = m.memo.emitted[i]
	} else {
		routes, shared := m.memo.sameRoutes(key, m.listenerPortUsed())
		if !shared {
			routes = emit()
		}
		e = &emittedRoutes{key: key, routes: routes}
		m.memo.emitted = append(m.memo.emitted, e)
	}
	if e.gen != m.memo.gen {
		e.gen = m.memo.gen
		m.memo.emittedUsed++
	}
	return e
}
