package runner

import (
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/message"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// admittedInput is a Gateway with two routes: "good", and "newline", whose
// RequestHeaderModifier adds a header value with a newline (which the CRDs
// admit and Envoy refuses). goodPath is the path of route good.
func admittedInput(goodPath string) string {
	return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: default}
spec:
  gatewayClassName: eg
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: good, namespace: default}
spec:
  parentRefs: [{name: eg}]
  rules:
  - matches: [{path: {type: PathPrefix, value: ` + goodPath + `}}]
    backendRefs: [{name: backend, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: newline, namespace: default}
spec:
  parentRefs: [{name: eg}]
  rules:
  - filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        add: [{name: X-Injected, value: "line1\nline2"}]
    backendRefs: [{name: backend, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: default}
spec:
  ports: [{name: http, port: 8080}]
`
}

// TestNewlineHeaderValueDoesNotFreezeTheFleet is issue 12's case end to end,
// from resources to the xDS server: the route with a newline in a header
// value is not accepted (UnsupportedValue), the other route is served, and a
// later change of it reaches the server.
func TestNewlineHeaderValueDoesNotFreezeTheFleet(t *testing.T) {
	results := message.NewWatchable[*bus.FleetSet]("test-results")
	srv := newFakeServer()
	srv.recordRoutes = true
	startRunner(t, results, srv, prometheus.NewRegistry())
	opts := gatewayapi.Options{DataPlane: translator.Checks{}}

	translate := func(goodPath string) *gatewayapi.Result {
		res, err := gatewayapi.LoadResources(strings.NewReader(admittedInput(goodPath)))
		if err != nil {
			t.Fatal(err)
		}
		return gatewayapi.Translate(res, opts)
	}
	first := translate("/v1")
	for _, rs := range first.Statuses.HTTPRoutes.All() {
		c := rs.Parents[0].Conditions[0]
		wantAccepted := rs.Name == "good"
		if (c.Status == "True") != wantAccepted {
			t.Errorf("route %s: Accepted = %s (%s: %s)", rs.Name, c.Status, c.Reason, c.Message)
		}
		if rs.Name == "newline" && (c.Reason != "UnsupportedValue" ||
			!strings.Contains(c.Message, "spec.rules[0].filters[0].requestHeaderModifier.add[0].value: must not contain a newline")) {
			t.Errorf("route newline: Accepted reason %s, message %q", c.Reason, c.Message)
		}
	}
	results.Publish(first.FleetSet())
	if c := srv.next(t); c.op != "update" || c.leftOut != 0 || !slices.Equal(c.routes, []string{"httproute/default/good/rule/0/match/0 /v1"}) {
		t.Fatalf("call %+v, want an update serving only route good", c)
	}

	// The other route changes: the change is served.
	results.Publish(translate("/v2").FleetSet())
	if c := srv.next(t); c.op != "update" || c.leftOut != 0 || !slices.Equal(c.routes, []string{"httproute/default/good/rule/0/match/0 /v2"}) {
		t.Fatalf("call %+v, want an update serving route good on /v2", c)
	}
}
