package ratelimit

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/infra/host"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/testenv"
	xdstranslator "github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// TestMain fails the package if a goroutine (a runner, a gRPC transport)
// outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	apiRoute = "httproute/default/api/rule/0/match/0"
	v2Route  = "httproute/default/api/rule/1/match/0"
)

// world is the running test setup and the latest translation.
type world struct {
	cp      *controlPlane
	rls     rlsv3.RateLimitServiceClient
	opts    gatewayapi.Options
	res     *gatewayapi.Resources
	limits  map[string][]*routev3.RateLimit // route name -> rate_limits
	service *grpc.ClientConn
	// fleet and listeners are the fleet's name and its listeners' names.
	fleet     string
	listeners []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	binary, redisServer := serviceBinary(t), redisBinary(t)
	redis := startRedis(t, redisServer)
	rl := &egv1a1.RateLimit{Backend: egv1a1.RateLimitBackend{Redis: &egv1a1.RateLimitRedis{URL: redis}}, Timeout: "100ms"}
	w := &world{cp: startControlPlane(t, binary, rl)}
	w.opts = gatewayapi.Options{
		DataPlane:       xdstranslator.Checks{},
		GlobalRateLimit: &ir.GlobalRateLimit{Pipe: host.RateLimitSocketPath(w.cp.stateDir), Timeout: ir.Duration(100 * time.Millisecond)},
	}
	f, err := os.Open(filepath.Join("testdata", "resources.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if w.res, err = gatewayapi.LoadResources(f); err != nil {
		t.Fatal(err)
	}
	return w
}

// publish translates the resources, checks the route is accepted with
// resolved references, and publishes the result to the runners.
func (w *world) publish(t *testing.T) {
	t.Helper()
	result := gatewayapi.Translate(w.res, w.opts)
	for _, r := range result.Statuses.HTTPRoutes.All() {
		for _, p := range r.Parents {
			for _, c := range p.Conditions {
				if c.Status != metav1.ConditionTrue {
					t.Fatalf("HTTPRoute %s/%s: %s is %s: %s", r.Namespace, r.Name, c.Type, c.Status, c.Message)
				}
			}
		}
	}
	if len(result.Fleets) != 1 {
		t.Fatalf("%d fleets, want 1", len(result.Fleets))
	}
	resources, err := xdstranslator.Translate(result.Fleets[0].Xds)
	if err != nil {
		t.Fatal(err)
	}
	w.fleet, w.listeners = result.Fleets[0].Name, nil
	for _, l := range resources.Listeners {
		w.listeners = append(w.listeners, l.GetName())
	}
	w.limits = map[string][]*routev3.RateLimit{}
	for _, rc := range resources.Routes {
		for _, vh := range rc.GetVirtualHosts() {
			for _, r := range vh.GetRoutes() {
				w.limits[r.GetName()] = r.GetRoute().GetRateLimits()
			}
		}
	}
	w.cp.fleets.Publish(result.FleetSet())
}

// ask sends ShouldRateLimit with the descriptors the route's rate_limits
// produce for the request (none: the request is not limited, as Envoy then
// does not ask) and returns the overall code.
func (w *world) ask(t *testing.T, route string, req request) rlsv3.RateLimitResponse_Code {
	t.Helper()
	ds, ok := descriptors(w.limits[route], req)
	if !ok {
		t.Fatalf("route %s has a rate limit action the test does not know", route)
	}
	if len(ds) == 0 {
		return rlsv3.RateLimitResponse_OK
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	res, err := w.rls.ShouldRateLimit(ctx, &rlsv3.RateLimitRequest{Domain: gatewayapi.RateLimitDomain, Descriptors: ds})
	if err != nil {
		t.Fatalf("ShouldRateLimit: %v", err)
	}
	return res.GetOverallCode()
}

// expectCodes sends one request per code and checks each answer.
func (w *world) expectCodes(t *testing.T, what, route string, req request, codes ...rlsv3.RateLimitResponse_Code) {
	t.Helper()
	for i, want := range codes {
		if got := w.ask(t, route, req); got != want {
			t.Fatalf("%s: request %d answered %s, want %s", what, i+1, got, want)
		}
	}
}

func ok(n int) []rlsv3.RateLimitResponse_Code {
	return slices.Repeat([]rlsv3.RateLimitResponse_Code{rlsv3.RateLimitResponse_OK}, n)
}

func okThenOver(n int) []rlsv3.RateLimitResponse_Code {
	return append(ok(n), rlsv3.RateLimitResponse_OVER_LIMIT)
}

func client(addr string, headers ...string) request {
	r := request{headers: map[string]string{}, client: netip.MustParseAddr(addr)}
	for i := 0; i+1 < len(headers); i += 2 {
		r.headers[headers[i]] = headers[i+1]
	}
	return r
}

// awayFromHourBoundary waits, if needed, until the current hour has at
// least a minute left: the limits count per hour, and a counter started
// before the hour and checked after it would start again.
func awayFromHourBoundary(t *testing.T) {
	left := time.Until(time.Now().Truncate(time.Hour).Add(time.Hour))
	if left < time.Minute {
		t.Logf("waiting %s for the next hour's counters", left)
		time.Sleep(left + time.Second)
	}
}

// TestGlobalRateLimitWithTheRealService is the end-to-end test.
func TestGlobalRateLimitWithTheRealService(t *testing.T) {
	w := newWorld(t)
	awayFromHourBoundary(t)
	w.publish(t)
	w.service = dialService(t, host.RateLimitSocketPath(w.cp.stateDir))
	w.rls = rlsv3.NewRateLimitServiceClient(w.service)

	// 3 per hour per user: the 4th request of alice is over the limit,
	// bob is not limited by it.
	alice, bob := client("10.1.2.3", "x-user-id", "alice"), client("10.1.2.3", "x-user-id", "bob")
	w.expectCodes(t, "alice", apiRoute, alice, okThenOver(3)...)
	w.expectCodes(t, "alice again", apiRoute, alice, rlsv3.RateLimitResponse_OVER_LIMIT)
	w.expectCodes(t, "bob", apiRoute, bob, okThenOver(3)...)

	// The free plan's clients of 10.0.0.0/8 share 2 per hour; clients out
	// of the CIDR, and other plans, are not counted.
	free1, free2 := client("10.9.9.9", "x-plan", "free"), client("10.200.0.1", "x-plan", "free")
	w.expectCodes(t, "first free client", apiRoute, free1, okThenOver(2)...)
	w.expectCodes(t, "second free client", apiRoute, free2, rlsv3.RateLimitResponse_OVER_LIMIT)
	w.expectCodes(t, "free client out of the CIDR", apiRoute, client("192.168.1.1", "x-plan", "free"), ok(5)...)
	w.expectCodes(t, "pro client", apiRoute, client("10.9.9.9", "x-plan", "pro"), ok(5)...)

	// 1 per hour per client of 2001:db8::/32, each client on its own.
	w.expectCodes(t, "2001:db8::1", v2Route, client("2001:db8::1"), okThenOver(1)...)
	w.expectCodes(t, "2001:db8::2", v2Route, client("2001:db8::2"), okThenOver(1)...)
	w.expectCodes(t, "2001:db9::1, out of the CIDR", v2Route, client("2001:db9::1"), ok(5)...)

	t.Run("round trip", func(t *testing.T) { roundTrip(t, w) })
	t.Run("a new limit reaches the service", func(t *testing.T) { raiseUserLimit(t, w) })
	t.Run("the service stops with the last global limit", func(t *testing.T) { removeLimits(t, w) })
}

// roundTrip logs the median time of a ShouldRateLimit call (a new user each
// time, so each is counted in Redis), over 200 calls: what a rate-limited
// request waits for the service. It is reported, not asserted.
func roundTrip(t *testing.T, w *world) {
	const n = 200
	took := make([]time.Duration, 0, n)
	for i := range n {
		user := client("10.1.2.3", "x-user-id", fmt.Sprintf("latency-%d", i))
		start := time.Now()
		if code := w.ask(t, apiRoute, user); code != rlsv3.RateLimitResponse_OK {
			t.Fatalf("call %d answered %s", i, code)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("ShouldRateLimit over the unix socket, with Redis: median %s, p90 %s over %d calls", took[n/2], took[n*9/10], n)
}

// raiseUserLimit changes the per-user limit to 5: once the service has the
// new configuration, a new user gets 5 requests.
func raiseUserLimit(t *testing.T, w *world) {
	setRequests(t, w.res, "per-user", 0, 5)
	w.publish(t)
	probe := 0
	waitFor(t, "the new per-user limit", func() bool {
		probe++
		user := client("10.1.2.3", "x-user-id", fmt.Sprintf("probe-%d", probe))
		for range 4 {
			if w.ask(t, apiRoute, user) != rlsv3.RateLimitResponse_OK {
				return false
			}
		}
		return true
	})
	w.expectCodes(t, "carol", apiRoute, client("10.1.2.3", "x-user-id", "carol"), okThenOver(5)...)
}

// removeLimits removes the filters from the route: the host manager stops
// the service, which then no longer answers.
func removeLimits(t *testing.T, w *world) {
	for _, r := range w.res.HTTPRoutes {
		for i := range r.Spec.Rules {
			r.Spec.Rules[i].Filters = nil
		}
	}
	w.publish(t)
	if len(w.limits[apiRoute]) != 0 {
		t.Fatalf("route %s still has rate limits", apiRoute)
	}
	socket := host.RateLimitSocketPath(w.cp.stateDir)
	waitFor(t, "the rate limit service to stop", func() bool {
		_, err := os.Stat(socket)
		return os.IsNotExist(err)
	})
}

// setRequests sets the requests of rule i of a RateLimitFilter.
func setRequests(t *testing.T, res *gatewayapi.Resources, filter string, i int, requests int32) {
	for _, f := range res.RateLimitFilters {
		if f.Name == filter {
			f.Spec.Global.Rules[i].Limit.Requests = requests
			return
		}
	}
	t.Fatalf("no RateLimitFilter %s", filter)
}

// TestServiceVersionMatchesTheAssetScript: the test looks for the binary
// the script builds.
func TestServiceVersionMatchesTheAssetScript(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "hack", "ratelimit-assets.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`RATELIMIT_VERSION="\$\{RATELIMIT_VERSION:-([^}]+)\}"`).FindSubmatch(script)
	if m == nil || string(m[1]) != ServiceVersion {
		t.Fatalf("hack/ratelimit-assets.sh builds %q, the test expects %s", m, ServiceVersion)
	}
}
