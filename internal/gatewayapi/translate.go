package gatewayapi

import (
	"maps"
	"strconv"

	"k8s.io/apimachinery/pkg/types"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// translator holds the model of one translation. It lives for one call of
// Translate and is never shared.
type translator struct {
	// memo, when set, holds the memoized work of routes (see Translator);
	// recording is the memo entry of the route being built, if any.
	memo      *Translator
	recording *httpRouteMemo

	controllerName string
	dataPlane      DataPlane
	// unchecked are the routes built since checkBuiltRules last ran:
	// their rules wait for the data-plane checks (see checkBuiltRules).
	unchecked   []*httpRouteModel
	idx         *index
	infraStates map[string]bus.InfraState

	classes      map[string]*gatewayClassModel
	classOrder   []*gatewayClassModel
	envoyProxies map[types.NamespacedName]*envoyProxyModel

	gateways      []*gatewayModel
	gatewaysByKey map[types.NamespacedName]*gatewayModel
	fleets        []*fleetModel

	listenerSets      []*listenerSetModel
	listenerSetsByKey map[types.NamespacedName]*listenerSetModel

	httpRoutes []*httpRouteModel
	grpcRoutes []*httpRouteModel
	tlsRoutes  []*tlsRouteModel
	tcpRoutes  []*l4RouteModel
	routeSeen  map[routeKey]bool
	// selected is scratch space for attachParent's listeners.
	selected []*listenerModel

	clusters map[string]*ir.Cluster
	// lastClusters are the memo's clusters of its last call (nil without a
	// memo); clustersKept is set when clusters started as a copy of them.
	lastClusters map[string]*ir.Cluster
	clustersKept bool
	// tlsPolicies are the BackendTLSPolicies in precedence order, and
	// tlsPoliciesByTarget those of each target (the first is in effect).
	tlsPolicies         []*backendTLSPolicyModel
	tlsPoliciesByTarget map[policyTarget][]*backendTLSPolicyModel
	certificates        map[types.NamespacedName]certificateResult
	// certNames are the DNS names of each certificate, by name (tlsoverlap.go).
	certNames map[string][]string

	// globalRateLimit is Options.GlobalRateLimit with its domain set.
	globalRateLimit *ir.GlobalRateLimit
}

// routeKey identifies a route of a kind, to ignore duplicates in the input.
type routeKey struct {
	kind, namespace, name string
}

// Translate computes the IR of every proxy fleet and the status of every
// object from one snapshot of resources. It is a pure function: it reads
// nothing but its arguments, never modifies them, and the same input always
// gives the same (byte-identical once marshaled) output.
func Translate(res *Resources, opts Options) *Result {
	return translate(res, opts, nil)
}

// translate is Translate, with the memo of memo when it is not nil.
func translate(res *Resources, opts Options, memo *Translator) *Result {
	if res == nil {
		res = &Resources{}
	}
	var t *translator
	routes := len(res.HTTPRoutes) + len(res.GRPCRoutes) + len(res.TLSRoutes) + len(res.TCPRoutes)
	if memo == nil {
		t = newTranslator(res, opts, newIndex(res))
		t.routeSeen = make(map[routeKey]bool, routes)
	} else {
		memo.idx = newIndexFrom(res, memo.idx, &memo.idxGen)
		t = newTranslator(res, opts, memo.idx)
		t.memo = memo
		// The set of routes seen is emptied and used again: no map of every
		// route allocated per call.
		if memo.routeSeen == nil {
			memo.routeSeen = make(map[routeKey]bool, routes)
		}
		clear(memo.routeSeen)
		t.routeSeen = memo.routeSeen
		// The previous call's size: no growing the map one route at a time.
		t.lastClusters = memo.clusters
		if memo.clusters != nil && memo.clustersServices == memo.idx.gens.services {
			// The same Services: the clusters of a name are the last
			// call's, which had every cluster of the routes kept.
			t.clusters, t.clustersKept = maps.Clone(memo.clusters), true
		} else {
			t.clusters = make(map[string]*ir.Cluster, len(memo.clusters))
		}
		defer func() { memo.clusters, memo.clustersServices = t.clusters, t.idx.gens.services }()
	}
	t.processGatewayClasses(res.GatewayClasses)
	t.processGateways(res.Gateways)
	t.processListenerSets(res.ListenerSets)
	t.buildFleets()
	t.processHTTPRoutes(res.HTTPRoutes)
	t.processGRPCRoutes(res.GRPCRoutes)
	t.resolveRouteKindConflicts()
	t.emitHTTPRoutes()
	t.processTLSRoutes(res.TLSRoutes)
	t.processTCPRoutes(res.TCPRoutes)
	t.processBackendTLSPolicies(res.BackendTLSPolicies)
	out := &Result{FrozenGatewayClasses: t.frozenClasses()}
	// The IR goes first: building it finds the ancestors of policies.
	for _, f := range t.fleets {
		out.Fleets = append(out.Fleets, t.buildIR(f))
	}
	out.Statuses = t.statuses()
	if memo != nil {
		memo.last = &lastCall{res: res, t: t, out: out}
	}
	return out
}

// frozenClasses returns the names of our classes that are not accepted, in
// name order (classOrder is sorted).
func (t *translator) frozenClasses() []string {
	var names []string
	for _, c := range t.classOrder {
		if !c.accepted() {
			names = append(names, c.obj.Name)
		}
	}
	return names
}

func newTranslator(res *Resources, opts Options, idx *index) *translator {
	name := opts.ControllerName
	if name == "" {
		name = egv1a1.DefaultControllerName
	}
	return &translator{
		controllerName:    name,
		globalRateLimit:   globalRateLimit(opts.GlobalRateLimit),
		dataPlane:         opts.DataPlane,
		idx:               idx,
		infraStates:       res.InfraStates,
		classes:           map[string]*gatewayClassModel{},
		envoyProxies:      map[types.NamespacedName]*envoyProxyModel{},
		gatewaysByKey:     map[types.NamespacedName]*gatewayModel{},
		listenerSetsByKey: map[types.NamespacedName]*listenerSetModel{},
		clusters:          map[string]*ir.Cluster{},
		certificates:      map[types.NamespacedName]certificateResult{},
		certNames:         map[string][]string{},
	}
}

// seenRoute reports whether a route was already processed, and marks it.
func (t *translator) seenRoute(kind, namespace, name string) bool {
	k := routeKey{kind: kind, namespace: namespace, name: name}
	if t.routeSeen[k] {
		return true
	}
	t.routeSeen[k] = true
	return false
}

// globalRateLimit returns a copy of the rate limit service with the domain
// set, or nil.
func globalRateLimit(g *ir.GlobalRateLimit) *ir.GlobalRateLimit {
	if g == nil {
		return nil
	}
	c := *g
	c.Domain = RateLimitDomain
	return &c
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
