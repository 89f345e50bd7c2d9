package runner

import (
	"slices"
	"testing"
	"time"

	rlsconfv3 "github.com/envoyproxy/go-control-plane/ratelimit/config/ratelimit/v3"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// xdsWithGlobalRules is a fleet whose one route has global rate limit rules.
func xdsWithGlobalRules(port uint32, rules ...string) *ir.Xds {
	x := xdsWithPort(port)
	rl := &ir.RouteRateLimit{}
	for _, name := range rules {
		rl.Global = append(rl.Global, &ir.RateLimitRule{Name: name, Limit: ir.RateLimitValue{Requests: 1, Unit: ir.RateLimitSecond}})
	}
	x.HTTP[0].Routes = []*ir.HTTPRoute{{Name: "r", Hostname: "*", DirectResponse: &ir.DirectResponse{StatusCode: 200}, RateLimit: rl}}
	x.GlobalRateLimit = &ir.GlobalRateLimit{Domain: "envoy-gateway", Host: "rls", Port: 8081, Timeout: ir.Duration(time.Second)}
	return x
}

// ruleNames lists the first-level descriptor values of the configurations.
func ruleNames(configs []*rlsconfv3.RateLimitConfig) []string {
	var out []string
	for _, c := range configs {
		for _, d := range c.GetDescriptors() {
			out = append(out, d.GetValue())
		}
	}
	return out
}

// waitRateLimit waits until the server got a rate limit configuration with
// exactly the rules want, and returns how many were set.
func waitRateLimit(t *testing.T, srv *fakeServer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		configs, n := srv.lastRateLimit()
		if n > 0 && slices.Equal(ruleNames(configs), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rate limit rules %v (after %d updates), want %v", ruleNames(configs), n, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunnerServesRateLimitConfiguration: the rate limit service is served
// the global rules of every served fleet, each once; a fleet kept for a
// frozen GatewayClass keeps its rules; a removed fleet's rules go.
func TestRunnerServesRateLimitConfiguration(t *testing.T) {
	results := message.NewWatchable[*bus.FleetSet]("test-results")
	srv := newFakeServer()
	startRunner(t, results, srv, nil)

	results.Publish(&bus.FleetSet{})
	waitRateLimit(t, srv) // an empty configuration, so the service starts

	a := fleet("a", xdsWithGlobalRules(10080, "shared", "only-a"))
	a.Infra.Proxy = &ir.ProxyInfra{Name: "a", GatewayClass: "class-a"}
	b := fleet("b", xdsWithGlobalRules(10081, "shared", "only-b"))
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{a, b}})
	waitRateLimit(t, srv, "only-a", "only-b", "shared")

	// Class a is frozen: fleet a is not in the result but keeps serving.
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{b}, FrozenGatewayClasses: []string{"class-a"}})
	waitRateLimit(t, srv, "only-a", "only-b", "shared")

	// Fleet b changes, then a goes for good.
	b2 := fleet("b", xdsWithGlobalRules(10081, "new-b"))
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{b2}})
	waitRateLimit(t, srv, "new-b")

	// No fleet uses global limits any more: the configuration is empty.
	results.Publish(&bus.FleetSet{Fleets: []*bus.Fleet{fleet("b", xdsWithPort(10081))}})
	waitRateLimit(t, srv)
}
