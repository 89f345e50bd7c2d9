package gatewayapi

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestRefAllowed(t *testing.T) {
	name := gwapiv1.ObjectName("web")
	grants := []*gwapiv1.ReferenceGrant{
		{
			ObjectMeta: metav1.ObjectMeta{Namespace: "backends", Name: "one-service"},
			Spec: gwapiv1.ReferenceGrantSpec{
				From: []gwapiv1.ReferenceGrantFrom{{Group: gwapiv1.GroupName, Kind: kindHTTPRoute, Namespace: "apps"}},
				To:   []gwapiv1.ReferenceGrantTo{{Group: "", Kind: kindService, Name: &name}},
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Namespace: "certs", Name: "all-secrets"},
			Spec: gwapiv1.ReferenceGrantSpec{
				From: []gwapiv1.ReferenceGrantFrom{
					{Group: gwapiv1.GroupName, Kind: kindGateway, Namespace: "infra"},
					{Group: gwapiv1.GroupName, Kind: kindGateway, Namespace: "edge"},
				},
				To: []gwapiv1.ReferenceGrantTo{{Group: "", Kind: kindSecret}},
			},
		},
	}
	ix := newIndex(&Resources{ReferenceGrants: grants})
	route := func(ns string) objectRef {
		return objectRef{group: gwapiv1.GroupName, kind: kindHTTPRoute, namespace: ns}
	}
	gateway := func(ns string) objectRef {
		return objectRef{group: gwapiv1.GroupName, kind: kindGateway, namespace: ns}
	}
	service := func(ns, n string) objectRef { return objectRef{kind: kindService, namespace: ns, name: n} }
	secret := func(ns, n string) objectRef { return objectRef{kind: kindSecret, namespace: ns, name: n} }
	tests := []struct {
		name     string
		from, to objectRef
		want     bool
	}{
		{"same namespace needs no grant", route("apps"), service("apps", "anything"), true},
		{"granted service", route("apps"), service("backends", "web"), true},
		{"other service of the granted namespace", route("apps"), service("backends", "db"), false},
		{"other source namespace", route("other"), service("backends", "web"), false},
		{"other source kind", gateway("apps"), service("backends", "web"), false},
		{"other target kind", route("apps"), secret("backends", "web"), false},
		{"grant without name allows every secret", gateway("infra"), secret("certs", "any"), true},
		{"second from entry", gateway("edge"), secret("certs", "any"), true},
		{"not from routes", route("infra"), secret("certs", "any"), false},
		{"grant lives in the target namespace", gateway("infra"), secret("elsewhere", "any"), false},
	}
	for _, tt := range tests {
		if got := ix.refAllowed(tt.from, tt.to); got != tt.want {
			t.Errorf("%s: refAllowed = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNamespaceLabels(t *testing.T) {
	ix := newIndex(&Resources{Namespaces: []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"team": "x"}}}}})
	if got := ix.namespaceLabels("a"); got["team"] != "x" || got[namespaceNameLabel] != "a" {
		t.Errorf("namespaceLabels(a) = %v", got)
	}
	if got := ix.namespaceLabels("missing"); len(got) != 1 || got[namespaceNameLabel] != "missing" {
		t.Errorf("namespaceLabels(missing) = %v, want only the name label", got)
	}
}

func TestErrorListJoin(t *testing.T) {
	var l routeErrors
	if l.join() != nil {
		t.Fatal("an empty list joins to nil")
	}
	l.add(nil)
	for i := range 8 {
		l.add(errorf(gwapiv1.RouteConditionReason("Reason"+itoa(int64(i))), "problem %d", i))
	}
	l.add(errorf(gwapiv1.RouteConditionReason("Other"), "problem 0"))
	got := l.join()
	if got.reason != "Reason0" {
		t.Errorf("reason = %q, want the first problem's", got.reason)
	}
	want := "problem 0; problem 1; problem 2; problem 3; problem 4; and 4 more"
	if got.msg != want {
		t.Errorf("message = %q, want %q", got.msg, want)
	}
}
