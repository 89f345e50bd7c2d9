package gatewayapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// testListener is a listener spec for conflict tables.
type testListener struct {
	name     string
	port     int32
	protocol gwapiv1.ProtocolType
	hostname string
}

func testGateway(name string, created int, ls ...testListener) *gatewayModel {
	g := &gatewayModel{
		obj: &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", Name: name,
			CreationTimestamp: metav1.Unix(int64(created), 0),
		}},
		key: keyOf("default", name),
	}
	for _, tl := range ls {
		spec := &gwapiv1.Listener{Name: gwapiv1.SectionName(tl.name), Port: tl.port, Protocol: tl.protocol}
		g.listeners = append(g.listeners, &listenerModel{gateway: g, spec: spec, name: tl.name, port: tl.port, hostname: tl.hostname})
	}
	return g
}

// outcome is "" for an accepted listener, else the reason it is not.
func outcomes(gs ...*gatewayModel) map[string]string {
	out := map[string]string{}
	for _, g := range gs {
		for _, l := range g.listeners {
			reason := ""
			if l.acceptErr != nil {
				reason = string(l.acceptErr.reason)
			}
			if (l.conflictErr != nil) != (reason == string(gwapiv1.ListenerReasonHostnameConflict) || reason == string(gwapiv1.ListenerReasonProtocolConflict)) {
				reason += "+inconsistent"
			}
			out[g.key.Name+"/"+l.name] = reason
		}
	}
	return out
}

const (
	hostConflict  = string(gwapiv1.ListenerReasonHostnameConflict)
	protoConflict = string(gwapiv1.ListenerReasonProtocolConflict)
	portUnavail   = string(gwapiv1.ListenerReasonPortUnavailable)
)

func TestResolveGatewayConflicts(t *testing.T) {
	http, https, tls := gwapiv1.HTTPProtocolType, gwapiv1.HTTPSProtocolType, gwapiv1.TLSProtocolType
	tests := []struct {
		name      string
		listeners []testListener
		want      map[string]string
	}{
		{"distinct ports", []testListener{{"a", 80, http, ""}, {"b", 81, http, ""}},
			map[string]string{"g/a": "", "g/b": ""}},
		{"distinct hostnames on one port", []testListener{{"a", 80, http, "a.com"}, {"b", 80, http, "b.com"}, {"c", 80, http, ""}},
			map[string]string{"g/a": "", "g/b": "", "g/c": ""}},
		{"same hostname conflicts both", []testListener{{"a", 80, http, "a.com"}, {"b", 80, http, "a.com"}, {"c", 80, http, "c.com"}},
			map[string]string{"g/a": hostConflict, "g/b": hostConflict, "g/c": ""}},
		{"no hostname twice conflicts", []testListener{{"a", 80, http, ""}, {"b", 80, http, ""}},
			map[string]string{"g/a": hostConflict, "g/b": hostConflict}},
		{"protocols differ on a port: every listener there conflicts", []testListener{{"a", 443, https, "a.com"}, {"b", 443, tls, "b.com"}, {"c", 443, https, "c.com"}, {"d", 80, http, ""}},
			map[string]string{"g/a": protoConflict, "g/b": protoConflict, "g/c": protoConflict, "g/d": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testGateway("g", 0, tt.listeners...)
			resolveGatewayConflicts(g.listeners)
			if diff := cmp.Diff(tt.want, outcomes(g)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveGatewayConflictsSkipsRejectedListeners(t *testing.T) {
	g := testGateway("g", 0, testListener{"a", 80, gwapiv1.HTTPProtocolType, ""}, testListener{"b", 80, "UDP", ""})
	g.listeners[1].acceptErr = errorf(gwapiv1.ListenerReasonUnsupportedProtocol, "unsupported")
	resolveGatewayConflicts(g.listeners)
	want := map[string]string{"g/a": "", "g/b": string(gwapiv1.ListenerReasonUnsupportedProtocol)}
	if diff := cmp.Diff(want, outcomes(g)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestResolveFleetConflicts(t *testing.T) {
	http, https := gwapiv1.HTTPProtocolType, gwapiv1.HTTPSProtocolType
	older := testGateway("older", 1, testListener{"web", 80, http, "www.com"}, testListener{"tls", 443, https, ""})
	newer := testGateway("newer", 2,
		testListener{"web", 80, http, "www.com"},   // same port and hostname: loses
		testListener{"api", 80, http, "api.com"},   // same port, other hostname: fine
		testListener{"tls", 443, http, "x.com"},    // other protocol on a claimed port: loses
		testListener{"alt", 8080, http, "www.com"}, // other port: fine
	)
	newest := testGateway("newest", 3, testListener{"api", 80, http, "api.com"})
	// Gateways come in precedence order.
	resolveFleetConflicts([]*gatewayModel{older, newer, newest})
	want := map[string]string{
		"older/web": "", "older/tls": "",
		"newer/web": hostConflict, "newer/api": "", "newer/tls": protoConflict, "newer/alt": "",
		"newest/api": hostConflict,
	}
	if diff := cmp.Diff(want, outcomes(older, newer, newest)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestResolveContainerPorts(t *testing.T) {
	http := gwapiv1.HTTPProtocolType
	a := testGateway("a", 1, testListener{"low", 80, http, ""}, testListener{"same", 80, http, "x.com"})
	b := testGateway("b", 2, testListener{"high", 10080, http, ""}, testListener{"other", 8080, http, ""})
	resolveContainerPorts([]*gatewayModel{a, b})
	want := map[string]string{"a/low": "", "a/same": "", "b/high": portUnavail, "b/other": ""}
	if diff := cmp.Diff(want, outcomes(a, b)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestOlderFirst(t *testing.T) {
	m := func(ns, name string, created int64) *metav1.ObjectMeta {
		return &metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.Unix(created, 0)}
	}
	tests := []struct {
		a, b *metav1.ObjectMeta
		want bool
	}{
		{m("z", "z", 1), m("a", "a", 2), true},
		{m("a", "a", 2), m("z", "z", 1), false},
		{m("a", "z", 1), m("b", "a", 1), true},
		{m("a", "a", 1), m("a", "b", 1), true},
		{m("a", "b", 1), m("a", "a", 1), false},
		{m("a", "a", 1), m("a", "a", 1), false},
	}
	for _, tt := range tests {
		if got := olderFirst(tt.a, tt.b); got != tt.want {
			t.Errorf("olderFirst(%s/%s@%v, %s/%s@%v) = %v, want %v", tt.a.Namespace, tt.a.Name, tt.a.CreationTimestamp.Unix(),
				tt.b.Namespace, tt.b.Name, tt.b.CreationTimestamp.Unix(), got, tt.want)
		}
	}
}
