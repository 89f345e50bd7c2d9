package gatewayapi

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/chunked"
	"github.com/envoygw/envoy-gateway/internal/ir"
)

// Resources is one immutable snapshot of every object the translator reads.
// Providers build it and never modify it after publishing; the translator
// never modifies it either. Slices need not be sorted.
//
// EndpointSlices are not read by Translate: EDS clusters name the Service
// port their endpoints come from (ir.EndpointSource) and providers publish
// EndpointSlices as Endpoints snapshots, so that endpoint churn does not
// translate routes again. LoadResources still reads them into the field.
type Resources struct {
	GatewayClasses  []*gwapiv1.GatewayClass      `json:"gatewayClasses,omitempty"`
	Gateways        []*gwapiv1.Gateway           `json:"gateways,omitempty"`
	ListenerSets    []*gwapiv1.ListenerSet       `json:"listenerSets,omitempty"`
	HTTPRoutes      []*gwapiv1.HTTPRoute         `json:"httpRoutes,omitempty"`
	GRPCRoutes      []*gwapiv1.GRPCRoute         `json:"grpcRoutes,omitempty"`
	TLSRoutes       []*gwapiv1.TLSRoute          `json:"tlsRoutes,omitempty"`
	TCPRoutes       []*gwapiv1.TCPRoute          `json:"tcpRoutes,omitempty"`
	ReferenceGrants []*gwapiv1.ReferenceGrant    `json:"referenceGrants,omitempty"`
	Namespaces      []*corev1.Namespace          `json:"namespaces,omitempty"`
	Services        []*corev1.Service            `json:"services,omitempty"`
	EndpointSlices  []*discoveryv1.EndpointSlice `json:"endpointSlices,omitempty"`
	Secrets         []*corev1.Secret             `json:"secrets,omitempty"`
	// ConfigMaps are the ConfigMaps BackendTLSPolicies take CA bundles from.
	ConfigMaps []*corev1.ConfigMap `json:"configMaps,omitempty"`
	// BackendTLSPolicies configure the TLS proxies originate to Services.
	BackendTLSPolicies []*gwapiv1.BackendTLSPolicy `json:"backendTLSPolicies,omitempty"`
	EnvoyProxies       []*egv1a1.EnvoyProxy        `json:"envoyProxies,omitempty"`
	// RateLimitFilters are the filters HTTPRoute rules may name in
	// ExtensionRef filters.
	RateLimitFilters []*egv1a1.RateLimitFilter `json:"rateLimitFilters,omitempty"`

	// InfraStates is what the infra manager observed of each running fleet,
	// keyed by fleet name (ir.ProxyInfra.Name). A fleet with no entry has no
	// running infrastructure yet.
	InfraStates map[string]bus.InfraState `json:"infraStates,omitempty"`

	// GenerationTracksSpec says the objects come from an API server, which
	// increments an object's metadata.generation with every change of its
	// spec (the Kubernetes provider). A Translator then takes an HTTPRoute
	// of the same UID, generation, labels and annotations as the route at
	// its place in the last call for that route unchanged (a status write
	// gives a route a new object), and keeps its memoized work.
	GenerationTracksSpec bool `json:"-"`
}

// Endpoints is one immutable snapshot of the EndpointSlices of Services,
// published by the providers on a topic of its own: endpoint churn changes
// only this snapshot, which TranslateEndpoints and the xDS layer turn into
// ClusterLoadAssignments without translating any route again.
type Endpoints struct {
	// Services are the Services the snapshot covers, each with every
	// EndpointSlice it has (none when it has none), sorted by namespace and
	// name. A Service not listed is one the snapshot says nothing about.
	Services []ServiceEndpointSlices `json:"services,omitempty"`
	// ID identifies the snapshot for Delta, 0 when it has none. Not part
	// of its content.
	ID uint64 `json:"-"`
	// Delta, when set, says which Services may differ from those of the
	// snapshot with ID Delta.From (see EndpointsDelta). Not part of the
	// content.
	Delta *EndpointsDelta `json:"-"`
}

// EndpointsDelta says how a snapshot's Services differ from those of the
// snapshot with ID From: every Service not in Changed is covered by both or
// neither, with the same slices (the same objects); Services in Changed
// were added, changed or removed.
type EndpointsDelta struct {
	From    uint64
	Changed []ObjectKey
}

// CheckDeltaFrom returns an error when next does not hold the contract of
// its Delta with prev: the delta is from prev's ID, and every Service it
// does not list has prev's entry (the same slice objects) or is covered by
// neither. Providers' tests check their snapshots with it.
func CheckDeltaFrom(prev, next *Endpoints) error {
	if next.Delta == nil || prev == nil || next.Delta.From != prev.ID || next.ID == prev.ID {
		return fmt.Errorf("snapshot %d has delta %+v, not one from the previous snapshot", next.ID, next.Delta)
	}
	entries := func(e *Endpoints) map[ObjectKey][]*discoveryv1.EndpointSlice {
		out := make(map[ObjectKey][]*discoveryv1.EndpointSlice, len(e.Services))
		for _, s := range e.Services {
			out[s.ObjectKey] = s.EndpointSlices
		}
		return out
	}
	before, after := entries(prev), entries(next)
	for _, k := range slices.Concat(slices.Collect(maps.Keys(before)), slices.Collect(maps.Keys(after))) {
		b, had := before[k]
		a, has := after[k]
		if (had != has || !slices.Equal(a, b)) && !slices.Contains(next.Delta.Changed, k) {
			return fmt.Errorf("the Service %v changed but the delta %v does not list it", k, next.Delta.Changed)
		}
	}
	return nil
}

// Entry returns the entry of key in e.Services (sorted), if any.
func (e *Endpoints) Entry(key ObjectKey) (ServiceEndpointSlices, bool) {
	i, found := slices.BinarySearchFunc(e.Services, key, func(s ServiceEndpointSlices, k ObjectKey) int {
		return cmp.Or(strings.Compare(s.Namespace, k.Namespace), strings.Compare(s.Name, k.Name))
	})
	if !found {
		return ServiceEndpointSlices{}, false
	}
	return e.Services[i], true
}

// ServiceEndpointSlices are the EndpointSlices of one Service.
type ServiceEndpointSlices struct {
	ObjectKey      `json:",inline"`
	EndpointSlices []*discoveryv1.EndpointSlice `json:"endpointSlices,omitempty"`
}

// ClipEndpoints gives s's endpoints an array of their size. Decoding (JSON
// or protobuf) appends them one by one and leaves room for up to twice as
// many (4 for 3, 128 for 100), which a provider would hold as long as the
// slice; the providers call it on every EndpointSlice they keep.
func ClipEndpoints(s *discoveryv1.EndpointSlice) {
	if cap(s.Endpoints) > len(s.Endpoints) {
		s.Endpoints = slices.Clone(s.Endpoints)
	}
}

// NewEndpoints builds an endpoints snapshot of endpointSlices, grouped by the Service
// their kubernetes.io/service-name label names (slices without it are left
// out). It covers every Service in services, with no slices when none names
// it, and every Service a slice names. Its arguments are not modified.
func NewEndpoints(services []ObjectKey, endpointSlices []*discoveryv1.EndpointSlice) *Endpoints {
	bySvc := make(map[ObjectKey][]*discoveryv1.EndpointSlice, len(services))
	for _, k := range services {
		bySvc[k] = nil
	}
	for _, es := range endpointSlices {
		if es == nil || es.Labels[discoveryv1.LabelServiceName] == "" {
			continue
		}
		k := ObjectKey{Namespace: es.Namespace, Name: es.Labels[discoveryv1.LabelServiceName]}
		bySvc[k] = append(bySvc[k], es)
	}
	out := &Endpoints{Services: make([]ServiceEndpointSlices, 0, len(bySvc))}
	for k, list := range bySvc {
		out.Services = append(out.Services, ServiceEndpointSlices{ObjectKey: k, EndpointSlices: list})
	}
	sortBy(out.Services, func(a, b ServiceEndpointSlices) bool {
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out
}

// Options are the translator's settings from the static configuration.
type Options struct {
	// ControllerName is the GatewayClass controllerName we serve; empty means
	// egv1a1.DefaultControllerName.
	ControllerName string `json:"controllerName,omitempty"`
	// GlobalRateLimit is the rate limit service of global rate limits (its
	// Domain is filled in): fleets with routes using Global RateLimitFilters
	// get a copy. Nil means global rate limiting is not configured, and the
	// rules using them are rejected.
	GlobalRateLimit *ir.GlobalRateLimit `json:"globalRateLimit,omitempty"`
	// DataPlane, when set, checks each route the way the xDS translator will
	// (xds/translator.Checks): a rule whose route would be left out there is
	// rejected here instead, with UnsupportedValue, so that its status says
	// so. It must be a pure function of its argument.
	DataPlane DataPlane `json:"-"`
}

// DataPlane checks IR elements the way the xDS translator does.
type DataPlane interface {
	// CheckHTTPRoute fails when the xDS translator would leave the route out.
	CheckHTTPRoute(r *ir.HTTPRoute) error
}

// Result is everything the translator computes from one Resources snapshot.
type Result struct {
	// Fleets are the proxy fleets to run and configure, sorted by name.
	Fleets []*bus.Fleet `json:"fleets,omitempty"`
	// Statuses is the computed status of every input object we own status for.
	Statuses Statuses `json:"statuses"`
	// FrozenGatewayClasses are our GatewayClasses that are not accepted
	// (their parameters are invalid or missing), sorted. Their Gateways get
	// no fleet in Fleets, but whatever already runs for them stays as it is
	// (see bus.FleetSet) until the class is accepted again or deleted, but
	// for the endpoints, which keep following the backends.
	FrozenGatewayClasses []string `json:"frozenGatewayClasses,omitempty"`
}

// FleetSet is the part of r the xDS and infra layers read: its fleets and
// frozen GatewayClasses (shared, not copied).
func (r *Result) FleetSet() *bus.FleetSet {
	return &bus.FleetSet{Fleets: r.Fleets, FrozenGatewayClasses: r.FrozenGatewayClasses, Source: r}
}

// Statuses are computed statuses, each list sorted by namespace and name.
// Conditions carry observedGeneration but no lastTransitionTime: the status
// writer keeps the previous time when a condition did not change.
type Statuses struct {
	GatewayClasses []GatewayClassStatus `json:"gatewayClasses,omitempty"`
	Gateways       []GatewayStatus      `json:"gateways,omitempty"`
	ListenerSets   []ListenerSetStatus  `json:"listenerSets,omitempty"`
	HTTPRoutes     RouteStatuses        `json:"httpRoutes,omitzero"`
	GRPCRoutes     RouteStatuses        `json:"grpcRoutes,omitzero"`
	TLSRoutes      RouteStatuses        `json:"tlsRoutes,omitzero"`
	TCPRoutes      RouteStatuses        `json:"tcpRoutes,omitzero"`
	EnvoyProxies   []EnvoyProxyStatus   `json:"envoyProxies,omitempty"`
	// BackendTLSPolicies are the policies with at least one Gateway of ours
	// as ancestor; each status lists only our ancestors.
	BackendTLSPolicies []PolicyStatus `json:"backendTLSPolicies,omitempty"`
}

// PolicyStatus is the status of a policy, for the ancestors we manage.
type PolicyStatus struct {
	ObjectKey `json:",inline"`
	Status    gwapiv1.PolicyStatus `json:"status"`
}

// ObjectKey identifies an object; Namespace is empty for cluster-scoped ones.
type ObjectKey struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// Key returns k; through it every status type embedding an ObjectKey is a
// KeyedStatus.
func (k ObjectKey) Key() ObjectKey { return k }

// KeyedStatus is the status of one object, which Key identifies.
type KeyedStatus interface{ Key() ObjectKey }

// GatewayClassStatus is the status of a GatewayClass whose controllerName is ours.
type GatewayClassStatus struct {
	ObjectKey `json:",inline"`
	Status    gwapiv1.GatewayClassStatus `json:"status"`
}

// GatewayStatus is the status of a Gateway of one of our GatewayClasses.
type GatewayStatus struct {
	ObjectKey `json:",inline"`
	Status    gwapiv1.GatewayStatus `json:"status"`
}

// ListenerSetStatus is the status of a ListenerSet whose parent is a
// Gateway of one of our GatewayClasses.
type ListenerSetStatus struct {
	ObjectKey `json:",inline"`
	Status    gwapiv1.ListenerSetStatus `json:"status"`
}

// RouteStatus is the status of a route: only the parent entries for parents
// our controller is responsible for. Entries of other controllers are not
// included; the status writer merges these into the stored status. Every
// route of the snapshot gets a RouteStatus, with no parents when none of its
// parents is ours, so that the writer can remove entries of ours that no
// longer apply. ParentRef is the route's parentRef with group, kind and
// namespace filled in.
type RouteStatus struct {
	ObjectKey `json:",inline"`
	Parents   []gwapiv1.RouteParentStatus `json:"parents"`
}

// RouteStatuses are the statuses of the routes of one kind, sorted by
// namespace and name: a chunked list, so that a patched translation, one
// route changed among ten thousand, makes a list that shares all but a
// chunk or two of the last one's (see chunked.List).
type RouteStatuses = chunked.List[RouteStatus]

// EnvoyProxyStatus is the status of an EnvoyProxy referenced by one of our GatewayClasses.
type EnvoyProxyStatus struct {
	ObjectKey `json:",inline"`
	Status    egv1a1.EnvoyProxyStatus `json:"status"`
}
