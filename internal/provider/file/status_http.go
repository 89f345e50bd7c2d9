package file

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/message"
	xdsserver "github.com/envoygw/envoy-gateway/internal/xds/server"
)

// StatusReport is the body of GET /api/status: every object in force with
// where it comes from and its computed status, the fleets' infrastructure,
// and the provider's state (files, errors, warnings).
type StatusReport struct {
	Status    `json:",inline"`
	Resources []ResourceStatus `json:"resources"`
	// Fleets are the fleets of the last translation, with their observed infrastructure.
	Fleets []FleetStatus `json:"fleets"`
}

// ResourceStatus is one object in force.
type ResourceStatus struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Source is where the object was read; nil for implicit namespaces.
	Source *Source `json:"source,omitempty"`
	// Status is the computed status (conditions included) for the kinds the
	// translator reports on, when the object is ours.
	Status any `json:"status,omitempty"`
}

// FleetStatus is a fleet and its observed infrastructure (nil: no proxy
// runs), with its Applied condition and its connected proxies.
type FleetStatus struct {
	Name  string          `json:"name"`
	Infra *bus.InfraState `json:"infra,omitempty"`
	// Applied is the gateway.envoyproxy.io/Applied condition of the
	// fleet's Gateways (without observedGeneration: each Gateway has its own).
	Applied *metav1.Condition `json:"applied,omitempty"`
	// Proxies is what the xDS server knows of the fleet's proxies: each
	// connected proxy's state and versions, NACK counts, last propagation latency.
	Proxies *xdsserver.FleetStatus `json:"proxies,omitempty"`
}

// StatusHandlerOptions are what the status handler reports on.
type StatusHandlerOptions struct {
	Provider  *Provider
	Resources *message.Watchable[*gatewayapi.Resources]
	Results   *message.Watchable[*gatewayapi.Result]
	// Applied, when set, adds the Applied conditions and the proxies' state.
	Applied *applied.Tracker
}

// StatusHandler serves the StatusReport as JSON.
func StatusHandler(opts StatusHandlerOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		report := BuildStatusReport(opts)
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(report)
	})
}

// BuildStatusReport assembles the report from the latest snapshots and result.
func BuildStatusReport(opts StatusHandlerOptions) StatusReport {
	res, _ := opts.Resources.Load()
	result, _ := opts.Results.Load()
	report := StatusReport{Status: opts.Provider.Status(), Resources: []ResourceStatus{}, Fleets: []FleetStatus{}}
	if res == nil {
		return report
	}
	statuses := gatewayapi.Statuses{}
	var appliedReport *applied.Report
	if result != nil {
		statuses = result.Statuses
		if opts.Applied != nil {
			appliedReport = opts.Applied.Report(result)
		}
		for _, f := range result.Fleets {
			report.Fleets = append(report.Fleets, fleetStatus(f.Name, res, opts.Applied, appliedReport))
		}
	}
	idx := indexStatus(statuses, appliedReport)
	add := func(kind string, obj client.Object) {
		key := gatewayapi.ObjectKey{Namespace: obj.GetNamespace(), Name: obj.GetName()}
		rs := ResourceStatus{Kind: kind, Namespace: key.Namespace, Name: key.Name, Status: idx[kind][key]}
		if src, ok := opts.Provider.source(kind, key); ok {
			rs.Source = &src
		}
		report.Resources = append(report.Resources, rs)
	}
	eachObject(res, opts.Provider.EndpointSlices(), add)
	return report
}

// fleetStatus reports on one fleet.
func fleetStatus(name string, res *gatewayapi.Resources, tracker *applied.Tracker, report *applied.Report) FleetStatus {
	fs := FleetStatus{Name: name}
	if st, ok := res.InfraStates[name]; ok {
		fs.Infra = &st
	}
	if tracker == nil {
		return fs
	}
	if c, ok := report.Fleet(name); ok {
		fs.Applied = &metav1.Condition{Type: applied.ConditionType, Status: c.Status, Reason: c.Reason, Message: c.Message}
	}
	proxies := tracker.FleetStatus(name)
	fs.Proxies = &proxies
	return fs
}

// eachObject calls fn for every object of the snapshot and every
// EndpointSlice, kind by kind.
func eachObject(res *gatewayapi.Resources, endpointSlices []*discoveryv1.EndpointSlice, fn func(kind string, obj client.Object)) {
	each(res.GatewayClasses, "GatewayClass", fn)
	each(res.Gateways, "Gateway", fn)
	each(res.ListenerSets, "ListenerSet", fn)
	each(res.HTTPRoutes, "HTTPRoute", fn)
	each(res.GRPCRoutes, "GRPCRoute", fn)
	each(res.TLSRoutes, "TLSRoute", fn)
	each(res.TCPRoutes, "TCPRoute", fn)
	each(res.ReferenceGrants, "ReferenceGrant", fn)
	each(res.BackendTLSPolicies, "BackendTLSPolicy", fn)
	each(res.EnvoyProxies, "EnvoyProxy", fn)
	each(res.RateLimitFilters, "RateLimitFilter", fn)
	each(res.Namespaces, "Namespace", fn)
	each(res.Services, "Service", fn)
	each(endpointSlices, "EndpointSlice", fn)
	each(res.Secrets, "Secret", fn)
	each(res.ConfigMaps, "ConfigMap", fn)
}

func each[T client.Object](objs []T, kind string, fn func(string, client.Object)) {
	sorted := make([]T, len(objs))
	copy(sorted, objs)
	slices.SortFunc(sorted, func(a, b T) int {
		if c := strings.Compare(a.GetNamespace(), b.GetNamespace()); c != 0 {
			return c
		}
		return strings.Compare(a.GetName(), b.GetName())
	})
	for _, o := range sorted {
		fn(kind, o)
	}
}

// indexStatus maps kind and key to the status to report.
// The Applied conditions of report are added (nil adds none).
func indexStatus(s gatewayapi.Statuses, report *applied.Report) map[string]map[gatewayapi.ObjectKey]any {
	idx := map[string]map[gatewayapi.ObjectKey]any{
		"GatewayClass": {}, "Gateway": {}, "ListenerSet": {}, "HTTPRoute": {}, "GRPCRoute": {}, "TLSRoute": {}, "TCPRoute": {},
		"EnvoyProxy": {}, "BackendTLSPolicy": {},
	}
	for _, c := range s.GatewayClasses {
		idx["GatewayClass"][c.ObjectKey] = c.Status
	}
	for _, g := range s.Gateways {
		idx["Gateway"][g.ObjectKey] = report.GatewayStatus(g, nil)
	}
	for _, l := range s.ListenerSets {
		idx["ListenerSet"][l.ObjectKey] = report.ListenerSetStatus(l, nil)
	}
	for _, r := range s.HTTPRoutes.All() {
		idx["HTTPRoute"][r.ObjectKey] = routeStatus{Parents: report.RouteParents("HTTPRoute", r)}
	}
	for _, r := range s.GRPCRoutes.All() {
		idx["GRPCRoute"][r.ObjectKey] = routeStatus{Parents: r.Parents}
	}
	for _, r := range s.TLSRoutes.All() {
		idx["TLSRoute"][r.ObjectKey] = routeStatus{Parents: report.RouteParents("TLSRoute", r)}
	}
	for _, r := range s.TCPRoutes.All() {
		idx["TCPRoute"][r.ObjectKey] = routeStatus{Parents: r.Parents}
	}
	for _, p := range s.EnvoyProxies {
		idx["EnvoyProxy"][p.ObjectKey] = p.Status
	}
	for _, p := range s.BackendTLSPolicies {
		idx["BackendTLSPolicy"][p.ObjectKey] = p.Status
	}
	return idx
}

// routeStatus is a route's status as the API shows it.
type routeStatus struct {
	Parents any `json:"parents"`
}
