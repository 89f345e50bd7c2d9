package applied_test

import (
	"testing"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/chunked"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	xdsserver "github.com/envoygw/envoy-gateway/internal/xds/server"
)

const fleet = "default/eg"

func conds(gen int64) []metav1.Condition {
	return []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", ObservedGeneration: gen}}
}

// result is a fleet with Gateway default/eg (generation gwGen), a
// ListenerSet default/extra and HTTPRoutes default/a (generation routeGen)
// and default/b.
func result(gwGen, routeGen int64) *gatewayapi.Result {
	gw := gwapiv1.ParentReference{Name: "eg"}
	lsKind := gwapiv1.Kind("ListenerSet")
	ls := gwapiv1.ParentReference{Name: "extra", Kind: &lsKind}
	return &gatewayapi.Result{
		Fleets: []*bus.Fleet{{
			Name:  fleet,
			Infra: &ir.Infra{Proxy: &ir.ProxyInfra{Name: fleet, Gateways: []string{"default/eg"}}},
			Xds: &ir.Xds{HTTP: []*ir.HTTPListener{
				{Name: "default/eg/http", Routes: []*ir.HTTPRoute{
					{Name: "httproute/default/a/rule/0/match/0"}, {Name: "httproute/default/b/rule/0/match/0"},
				}},
				{Name: "default/eg/default/extra/http"},
			}},
		}},
		Statuses: gatewayapi.Statuses{
			Gateways:     []gatewayapi.GatewayStatus{{ObjectKey: key("eg"), Status: gwapiv1.GatewayStatus{Conditions: conds(gwGen)}}},
			ListenerSets: []gatewayapi.ListenerSetStatus{{ObjectKey: key("extra"), Status: gwapiv1.ListenerSetStatus{Conditions: conds(3)}}},
			HTTPRoutes: chunked.Of([]gatewayapi.RouteStatus{
				{ObjectKey: key("a"), Parents: []gwapiv1.RouteParentStatus{{ParentRef: gw, Conditions: conds(routeGen)}, {ParentRef: ls, Conditions: conds(routeGen)}}},
				{ObjectKey: key("b"), Parents: []gwapiv1.RouteParentStatus{{ParentRef: gw, Conditions: conds(1)}}},
			}),
		},
	}
}

func key(name string) gatewayapi.ObjectKey {
	return gatewayapi.ObjectKey{Namespace: "default", Name: name}
}

func proxy(node string, state xdsserver.ProxyState, rej *xdsserver.Rejection) xdsserver.ProxyStatus {
	return xdsserver.ProxyStatus{Node: node, State: state, Rejection: rej}
}

func TestReport(t *testing.T) {
	current := result(2, 5)
	rejection := &xdsserver.Rejection{Node: "pod-1", TypeURL: resourcev3.RouteType, TypeStatus: xdsserver.TypeStatus{
		Nacked: "v2", ErrorDetail: "route/0.0.0.0/10080: bad", RejectedRoutes: []string{"httproute/default/a/rule/0/match/0"},
	}}
	tests := []struct {
		name       string
		noSources  bool
		served     *gatewayapi.Result
		proxies    []xdsserver.ProxyStatus
		wantStatus metav1.ConditionStatus
		wantReason string
		// wantRouteA says whether route a's parents carry the condition.
		wantRouteA bool
		// wantPushing says whether proxies do not all hold current yet.
		wantPushing bool
	}{
		{name: "no xDS server", noSources: true, wantStatus: metav1.ConditionUnknown, wantReason: applied.ReasonPending},
		{name: "nothing served", wantStatus: metav1.ConditionUnknown, wantReason: applied.ReasonPending},
		{name: "older route generation served", served: result(2, 4), proxies: []xdsserver.ProxyStatus{proxy("pod-1", xdsserver.ProxyApplied, nil)},
			wantStatus: metav1.ConditionUnknown, wantReason: applied.ReasonPending, wantPushing: true},
		{name: "older gateway generation served", served: result(1, 5), proxies: []xdsserver.ProxyStatus{proxy("pod-1", xdsserver.ProxyApplied, nil)},
			wantStatus: metav1.ConditionUnknown, wantReason: applied.ReasonPending, wantPushing: true},
		{name: "older generation served, no proxies", served: result(2, 4),
			wantStatus: metav1.ConditionUnknown, wantReason: applied.ReasonPending},
		{name: "no proxies", served: result(2, 5), wantStatus: metav1.ConditionUnknown, wantReason: applied.ReasonNoProxies},
		{name: "one proxy lags", served: result(2, 5),
			proxies:    []xdsserver.ProxyStatus{proxy("pod-1", xdsserver.ProxyApplied, nil), proxy("pod-2", xdsserver.ProxyPending, nil)},
			wantStatus: metav1.ConditionUnknown, wantReason: applied.ReasonPending, wantPushing: true},
		{name: "rejected", served: result(2, 5),
			proxies:    []xdsserver.ProxyStatus{proxy("pod-1", xdsserver.ProxyRejected, rejection), proxy("pod-2", xdsserver.ProxyApplied, nil)},
			wantStatus: metav1.ConditionFalse, wantReason: applied.ReasonRejected, wantRouteA: true},
		{name: "applied", served: result(2, 5),
			proxies:    []xdsserver.ProxyStatus{proxy("pod-1", xdsserver.ProxyApplied, nil), proxy("pod-2", xdsserver.ProxyApplied, nil)},
			wantStatus: metav1.ConditionTrue, wantReason: applied.ReasonApplied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := applied.New()
			if !tt.noSources {
				tr.SetSources(applied.Sources{
					Served: func(string) *gatewayapi.Result { return tt.served },
					Proxies: func(f string) xdsserver.FleetStatus {
						return xdsserver.FleetStatus{Fleet: f, Served: true, Proxies: tt.proxies}
					},
				})
			}
			r := tr.Report(current)
			if r.Pushing() != tt.wantPushing {
				t.Errorf("Pushing() = %v, want %v", r.Pushing(), tt.wantPushing)
			}
			gw := meta.FindStatusCondition(r.GatewayStatus(current.Statuses.Gateways[0], nil).Conditions, applied.ConditionType)
			if gw == nil || gw.Status != tt.wantStatus || gw.Reason != tt.wantReason || gw.ObservedGeneration != 2 {
				t.Fatalf("Gateway condition = %+v, want %s/%s at generation 2", gw, tt.wantStatus, tt.wantReason)
			}
			ls := meta.FindStatusCondition(r.ListenerSetStatus(current.Statuses.ListenerSets[0], nil).Conditions, applied.ConditionType)
			if ls == nil || ls.Status != tt.wantStatus || ls.ObservedGeneration != 3 {
				t.Errorf("ListenerSet condition = %+v, want %s at generation 3", ls, tt.wantStatus)
			}
			if len(current.Statuses.Gateways[0].Status.Conditions) != 1 {
				t.Error("Report modified the result's Gateway status")
			}
			for _, p := range r.RouteParents("HTTPRoute", current.Statuses.HTTPRoutes.At(0)) {
				c := meta.FindStatusCondition(p.Conditions, applied.ConditionType)
				if (c != nil) != tt.wantRouteA || (c != nil && (c.Reason != applied.ReasonRejected || c.ObservedGeneration != 5)) {
					t.Errorf("route a parent %s: condition %+v, want one: %v", p.ParentRef.Name, c, tt.wantRouteA)
				}
			}
			for _, p := range r.RouteParents("HTTPRoute", current.Statuses.HTTPRoutes.At(1)) {
				if c := meta.FindStatusCondition(p.Conditions, applied.ConditionType); c != nil {
					t.Errorf("route b (not rejected) got %+v", c)
				}
			}
		})
	}
}

func TestRejectedMessageNamesProxyAndError(t *testing.T) {
	tr := applied.New()
	tr.SetSources(applied.Sources{
		Served: func(string) *gatewayapi.Result { return result(1, 1) },
		Proxies: func(f string) xdsserver.FleetStatus {
			return xdsserver.FleetStatus{Fleet: f, Proxies: []xdsserver.ProxyStatus{proxy("pod-1", xdsserver.ProxyRejected,
				&xdsserver.Rejection{Node: "pod-1", TypeURL: resourcev3.ListenerType,
					TypeStatus: xdsserver.TypeStatus{Nacked: "abc", ErrorDetail: "listener/0.0.0.0/10080: via is not implemented"}})}}
		},
	})
	current := result(1, 1)
	c, ok := tr.Report(current).Fleet(fleet)
	want := "proxy pod-1 rejected Listener version abc: listener/0.0.0.0/10080: via is not implemented"
	if !ok || c.Message != want {
		t.Errorf("message = %q, want %q", c.Message, want)
	}
	var nilReport *applied.Report
	if got := nilReport.GatewayStatus(current.Statuses.Gateways[0], nil); len(got.Conditions) != 1 {
		t.Errorf("a nil report added conditions: %+v", got.Conditions)
	}
}

func TestNotifyPublishes(t *testing.T) {
	tr := applied.New()
	_, before := tr.Changes().Load()
	tr.Notify()
	if _, after := tr.Changes().Load(); after != before+1 {
		t.Errorf("Changes version went from %d to %d after Notify", before, after)
	}
}

// TestRestartKeepsStoredCondition: right after start, the states a restart
// goes through (no proxies, proxies still receiving their first
// configuration on their stream, whatever they ACKed of it) keep a stored
// condition of the same generation; a proxy that held the whole
// configuration on its stream and is behind now does not.
func TestRestartKeepsStoredCondition(t *testing.T) {
	stored := []metav1.Condition{{Type: applied.ConditionType, Status: metav1.ConditionTrue, Reason: applied.ReasonApplied, ObservedGeneration: 2}}
	fresh := xdsserver.ProxyStatus{Node: "pod-1", State: xdsserver.ProxyPending,
		Types: map[string]xdsserver.TypeStatus{resourcev3.ListenerType: {Sent: "v2"}}}
	partly := xdsserver.ProxyStatus{Node: "pod-1", State: xdsserver.ProxyPending,
		Types: map[string]xdsserver.TypeStatus{resourcev3.ClusterType: {Sent: "c1", Acked: "c1"}, resourcev3.ListenerType: {Sent: "v2", Acked: "v1"}}}
	behind := xdsserver.ProxyStatus{Node: "pod-1", State: xdsserver.ProxyPending, Synced: true,
		Types: map[string]xdsserver.TypeStatus{resourcev3.ListenerType: {Sent: "v2", Acked: "v1"}}}
	tests := []struct {
		name       string
		proxies    []xdsserver.ProxyStatus
		gwGen      int64
		wantReason string
	}{
		{"no proxies, same generation", nil, 2, applied.ReasonApplied},
		{"fresh proxy, same generation", []xdsserver.ProxyStatus{fresh}, 2, applied.ReasonApplied},
		{"proxy partly through its first configuration", []xdsserver.ProxyStatus{partly}, 2, applied.ReasonApplied},
		{"a synced proxy and a fresh one", []xdsserver.ProxyStatus{behind, fresh}, 2, applied.ReasonPending},
		{"no proxies, new generation", nil, 3, applied.ReasonNoProxies},
		{"synced proxy behind", []xdsserver.ProxyStatus{behind}, 2, applied.ReasonPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			current := result(tt.gwGen, 1)
			tr := applied.New()
			tr.SetSources(applied.Sources{
				Served:  func(string) *gatewayapi.Result { return current },
				Proxies: func(f string) xdsserver.FleetStatus { return xdsserver.FleetStatus{Fleet: f, Proxies: tt.proxies} },
			})
			got := meta.FindStatusCondition(tr.Report(current).GatewayStatus(current.Statuses.Gateways[0], stored).Conditions, applied.ConditionType)
			if got == nil || got.Reason != tt.wantReason {
				t.Errorf("condition = %+v, want reason %s", got, tt.wantReason)
			}
		})
	}
}
