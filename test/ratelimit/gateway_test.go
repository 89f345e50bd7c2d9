package ratelimit

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/infra/host"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/test/dataplane"
)

const (
	apiPath  = "/api/x"
	openPath = "/open/x"
	// latencySamples is how many requests each latency figure is the
	// median of.
	latencySamples = 200
)

// gateway is the test data plane running the fleet's bootstrap, as the
// host infra manager would run Envoy, and a client to its listener.
type gateway struct {
	proxy  *dataplane.Proxy
	base   string
	client *http.Client
}

// TestGatewayRateLimitWithTheRealService sends requests through the
// Gateway: the test data plane, configured by our xDS server, asks the real
// rate limit service (configured by our xDS server too, counting in a real
// Redis) about each request of the limited route. The (limit+1)th request
// of a user is answered 429, other users are not limited. It logs the
// added latency of a rate-limited request: the median of 200 requests on
// the limited route against 200 on a route of the same Gateway without
// rate limits.
func TestGatewayRateLimitWithTheRealService(t *testing.T) {
	w := newWorld(t)
	// The proxies' timeout for the service: one no answer on a loaded
	// machine exceeds (a timed out call lets the request through).
	w.opts.GlobalRateLimit.Timeout = ir.Duration(waitTimeout)
	awayFromHourBoundary(t)
	backend := startBackend(t)
	w.publish(t)
	w.cp.endpoints.Publish(gatewayapi.TranslateEndpoints(backendEndpoints(backend)))
	// The service serving means it has its configuration from our server.
	w.service = dialService(t, host.RateLimitSocketPath(w.cp.stateDir))
	g := startGateway(t, w)

	// 3 per hour per user (x-user-id): the 4th request of a user is
	// limited, whatever the other users did.
	for _, u := range []string{"gw-alice", "gw-bob"} {
		g.expectStatuses(t, u, apiPath, http.StatusOK, http.StatusOK, http.StatusOK, http.StatusTooManyRequests)
	}
	g.expectStatuses(t, "gw-carol", apiPath, http.StatusOK)
	g.expectStatuses(t, "gw-alice", openPath, http.StatusOK, http.StatusOK) // no limit there
	r := g.get(t, "gw-alice", apiPath)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("X-Envoy-Ratelimited") != "true" {
		t.Fatalf("gw-alice again: %d %v, want 429 with x-envoy-ratelimited: true", r.StatusCode, r.Header)
	}

	limited, open := g.latency(t)
	t.Logf("through the test data plane, median of %d requests: rate-limited route %s, same route without rate limit %s: "+
		"added latency %s (ShouldRateLimit over the unix socket, with Redis)", latencySamples, limited, open, limited-open)
}

// startBackend runs an HTTP backend on loopback answering 200.
func startBackend(t *testing.T) netip.AddrPort {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return netip.MustParseAddrPort(srv.Listener.Addr().String())
}

// backendEndpoints is the EndpointSlice of Service default/backend: the
// test backend.
func backendEndpoints(b netip.AddrPort) *gatewayapi.Endpoints {
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "backend-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: "backend"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{b.Addr().String()},
			Conditions: discoveryv1.EndpointConditions{Ready: new(true)}}},
		Ports: []discoveryv1.EndpointPort{{Port: new(int32(b.Port())), Protocol: new(corev1.ProtocolTCP)}},
	}
	return gatewayapi.NewEndpoints([]gatewayapi.ObjectKey{{Namespace: "default", Name: "backend"}},
		[]*discoveryv1.EndpointSlice{slice})
}

// startGateway starts the data plane from the bootstrap the host manager
// wrote for the fleet, on a loopback address of its own, and waits until
// the open route answers.
func startGateway(t *testing.T, w *world) *gateway {
	t.Helper()
	bootstrap := filepath.Join(host.FleetDir(w.cp.stateDir, w.fleet), host.BootstrapFile)
	waitFor(t, "the fleet's bootstrap "+bootstrap, func() bool {
		_, err := os.Stat(bootstrap)
		return err == nil
	})
	pod := netip.AddrFrom4([4]byte{127, 120 + byte(rand.IntN(40)), byte(rand.IntN(250) + 1), byte(rand.IntN(250) + 1)})
	p, err := dataplane.Start(context.Background(), dataplane.Options{
		Args:   []string{"-c", bootstrap, "--log-level", "warning"},
		PodIP:  pod,
		Logger: testr.NewWithOptions(t, testr.Options{Verbosity: 0}).WithName("dataplane"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	if len(w.listeners) != 1 {
		t.Fatalf("listeners %v, want one", w.listeners)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 4, DialContext: (&net.Dialer{Timeout: waitTimeout}).DialContext}
	t.Cleanup(transport.CloseIdleConnections)
	g := &gateway{proxy: p, client: &http.Client{Transport: transport, Timeout: waitTimeout}}
	waitFor(t, "the data plane to serve the open route", func() bool {
		addr, ok := p.ListenerAddr(w.listeners[0])
		if !p.Ready() || !ok {
			return false
		}
		g.base = "http://" + addr.String()
		r, err := g.do("probe", openPath)
		return err == nil && r.StatusCode == http.StatusOK
	})
	return g
}

// do sends GET path as user and reads the whole response.
func (g *gateway) do(user, path string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, g.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-user-id", user)
	r, err := g.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Body.Close() }()
	_, err = io.Copy(io.Discard, r.Body)
	return r, err
}

func (g *gateway) get(t *testing.T, user, path string) *http.Response {
	t.Helper()
	r, err := g.do(user, path)
	if err != nil {
		t.Fatalf("GET %s as %s: %v", path, user, err)
	}
	return r
}

func (g *gateway) expectStatuses(t *testing.T, user, path string, statuses ...int) {
	t.Helper()
	for i, want := range statuses {
		if got := g.get(t, user, path).StatusCode; got != want {
			t.Fatalf("%s %s request %d: %d, want %d", user, path, i+1, got, want)
		}
	}
}

// latency returns the median time of a request on the limited route (a
// new user each time, so the service counts each in Redis and answers OK)
// and on the open route, the two interleaved so that both see the same
// machine load. A few requests of each warm up first.
func (g *gateway) latency(t *testing.T) (limited, open time.Duration) {
	t.Helper()
	const warmUp = 10
	var onLimited, onOpen []time.Duration
	for i := range warmUp + latencySamples {
		user := "latency-" + strconv.Itoa(i)
		for _, path := range []string{apiPath, openPath} {
			start := time.Now()
			if code := g.get(t, user, path).StatusCode; code != http.StatusOK {
				t.Fatalf("%s %s: %d", user, path, code)
			}
			took := time.Since(start)
			if i < warmUp {
				continue
			}
			if path == apiPath {
				onLimited = append(onLimited, took)
			} else {
				onOpen = append(onOpen, took)
			}
		}
	}
	return median(onLimited), median(onOpen)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
