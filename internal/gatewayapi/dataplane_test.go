package gatewayapi

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/ir"
)

// refuseRoutes is a DataPlane that refuses the routes of one HTTPRoute.
type refuseRoutes struct{ prefix string }

func (r refuseRoutes) CheckHTTPRoute(route *ir.HTTPRoute) error {
	if strings.HasPrefix(route.Name, r.prefix) {
		return errors.New("refused by the test data plane")
	}
	return nil
}

// TestDataPlaneRefusalReachesStatus checks the path from the xDS
// translator's checks to the status: a rule whose route the data plane
// refuses is rejected with UnsupportedValue and its field path, answers 500
// instead, and the rest of the route and the Gateway are served; with
// Translate, with a Translator, and when the Translator patches the route
// in (it is then checked apart from the others).
func TestDataPlaneRefusalReachesStatus(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "httproute-dataplane-invalid-values.in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res, opts := loadGoldenInput(t, data)
	opts.DataPlane = refuseRoutes{prefix: "httproute/default/good/"}
	t.Run("Translate", func(t *testing.T) { assertGoodRefused(t, Translate(res, opts)) })
	tr := NewTranslator(opts)
	t.Run("Translator", func(t *testing.T) { assertGoodRefused(t, tr.Translate(res)) })
	t.Run("patched", func(t *testing.T) {
		next := *res
		next.HTTPRoutes = slices.Clone(res.HTTPRoutes)
		i := slices.IndexFunc(next.HTTPRoutes, func(r *gwapiv1.HTTPRoute) bool { return r.Name == "good" })
		changed := next.HTTPRoutes[i].DeepCopy()
		changed.Generation++
		changed.Labels = map[string]string{"changed": "yes"}
		next.HTTPRoutes[i] = changed
		out := tr.Translate(&next)
		if !tr.Patched() {
			t.Fatal("the Translator did not patch the changed route in")
		}
		assertGoodRefused(t, out)
	})
}

// assertGoodRefused checks that the data plane's refusal of HTTPRoute
// good's rule reached its status and its route, and that the valid rule
// of another route is served.
func assertGoodRefused(t *testing.T, result *Result) {
	t.Helper()
	var found bool
	for _, rs := range result.Statuses.HTTPRoutes.All() {
		if rs.Name != "good" {
			continue
		}
		found = true
		c := rs.Parents[0].Conditions[0]
		if c.Type != "Accepted" || c.Status != "False" || c.Reason != "UnsupportedValue" ||
			!strings.Contains(c.Message, "spec.rules[0]: Envoy would refuse the route of match 0: refused by the test data plane") {
			t.Errorf("Accepted = %+v, want False/UnsupportedValue naming spec.rules[0] and the refusal", c)
		}
	}
	if !found {
		t.Fatal("no status for HTTPRoute good")
	}
	served := map[string]bool{}
	for _, l := range result.Fleets[0].Xds.HTTP {
		for _, r := range l.Routes {
			served[r.Name] = r.Destination != nil
		}
	}
	if served["httproute/default/good/rule/0/match/0"] {
		t.Error("the refused rule still forwards to its backend")
	}
	if !served["httproute/default/mixed/rule/0/match/0"] {
		t.Error("the valid rule of another route is not served")
	}
}
