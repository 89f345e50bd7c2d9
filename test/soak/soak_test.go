package soak_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/credentials/insecure"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/controllers"
	"github.com/envoygw/envoy-gateway/internal/config"
	"github.com/envoygw/envoy-gateway/internal/controlplane"
	"github.com/envoygw/envoy-gateway/internal/crypto"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/testenv"
	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

// controlPlaneNamespace is where the control plane runs its fleets.
const controlPlaneNamespace = controlplane.DefaultNamespace

// convergeBound bounds the wait for convergence at a checkpoint; a
// checkpoint that does not converge within it is a divergence.
const convergeBound = 3 * time.Minute

// soakConfig is what the environment asks for.
type soakConfig struct {
	duration, checkEvery time.Duration
	seed                 uint64
}

func configFromEnv(t *testing.T) soakConfig {
	d := os.Getenv("EG_SOAK_DURATION")
	if d == "" {
		t.Skip("set EG_SOAK_DURATION (for example 30m), or run make soak")
	}
	c := soakConfig{checkEvery: 5 * time.Minute, seed: uint64(time.Now().UnixNano())}
	var err error
	if c.duration, err = time.ParseDuration(d); err != nil {
		t.Fatalf("EG_SOAK_DURATION: %v", err)
	}
	if e := os.Getenv("EG_SOAK_CHECK_EVERY"); e != "" {
		if c.checkEvery, err = time.ParseDuration(e); err != nil {
			t.Fatalf("EG_SOAK_CHECK_EVERY: %v", err)
		}
	}
	if s := os.Getenv("EG_SOAK_SEED"); s != "" {
		if c.seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("EG_SOAK_SEED: %v", err)
		}
	}
	return c
}

func TestSoak(t *testing.T) {
	sc := configFromEnv(t)
	report(t, "duration %s, checkpoints every %s, seed %d (EG_SOAK_SEED replays it)", sc.duration, sc.checkEvery, sc.seed)
	c, staticCfg, reg, envoy := startSoak(t)
	ch := newChurn(c, sc.seed)
	opts := controlplane.TranslateOptions(staticCfg)
	fleet := ns + "/" + gateway

	start := time.Now()
	var checkpoints, divergences int
	var worst time.Duration
	for next := start.Add(sc.checkEvery); ; next = next.Add(sc.checkEvery) {
		end := next
		if stop := start.Add(sc.duration); stop.Before(end) {
			end = stop
		}
		for time.Now().Before(end) {
			if err := ch.step(t.Context()); err != nil {
				t.Fatalf("churn: %v", err)
			}
			time.Sleep(time.Duration(10+ch.rng.IntN(90)) * time.Millisecond)
		}
		took, diffs := converge(t, c, opts, fleet, envoy, staticCfg.Gateway.ControllerName)
		checkpoints++
		worst = max(worst, took)
		if len(diffs) > 0 {
			divergences++
			t.Errorf("checkpoint %d after %s: no convergence within %s:\n%s", checkpoints,
				time.Since(start).Round(time.Second), convergeBound, strings.Join(diffs, "\n"))
		}
		report(t, "checkpoint %d at %s: %d routes, converged in %s, %d differences",
			checkpoints, time.Since(start).Round(time.Second), len(ch.routes), took.Round(time.Millisecond), len(diffs))
		if !end.Before(start.Add(sc.duration)) {
			break
		}
	}
	reportFigures(t, ch, reg, envoy, checkpoints, divergences, worst, time.Since(start))
}

// converge polls until the served xDS and the stored statuses equal a fresh
// translation of what the API server holds, for at most convergeBound. It
// returns how long that took and, when it did not happen, the differences.
func converge(
	t *testing.T, c client.Client, opts gatewayapi.Options, fleet string, envoy *xdstest.Client, controllerName string,
) (time.Duration, []string) {
	t.Helper()
	start := time.Now()
	var diffs []string
	for time.Since(start) < convergeBound {
		diffs = difference(t, c, opts, fleet, envoy, controllerName)
		if len(diffs) == 0 {
			return time.Since(start), nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return time.Since(start), diffs
}

// difference compares once; an error reading the API server counts as a
// difference (the next poll tries again).
func difference(
	t *testing.T, c client.Client, opts gatewayapi.Options, fleet string, envoy *xdstest.Client, controllerName string,
) []string {
	t.Helper()
	if err := envoy.Err(); err != nil {
		t.Fatalf("the xDS stream ended: %v", err)
	}
	want, err := translateAPIServer(t.Context(), c, opts, fleet)
	if err != nil {
		return []string{err.Error()}
	}
	diffs := xdsDiff(want.xds, envoy)
	statuses, err := statusDiff(t.Context(), c, want.result, controllerName, fleet)
	if err != nil {
		return append(diffs, err.Error())
	}
	return append(diffs, statuses...)
}

// startSoak starts envtest, the control plane (Kubernetes provider,
// plaintext xDS on loopback) and an ADS client of the Gateway's fleet, and
// creates the objects the churn works on.
func startSoak(t *testing.T) (client.Client, *egv1a1.EnvoyGateway, *prometheus.Registry, *xdstest.Client) {
	t.Helper()
	env, err := testenv.NewEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	scheme, err := controllers.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	createObjects(t, c)

	staticCfg := &egv1a1.EnvoyGateway{
		Provider:  &egv1a1.EnvoyGatewayProvider{Type: egv1a1.ProviderTypeKubernetes},
		XdsServer: &egv1a1.XdsServer{Address: "127.0.0.1", Plaintext: true},
		Admin:     &egv1a1.Admin{Address: "127.0.0.1:0"},
	}
	config.SetDefaults(staticCfg)
	staticCfg.XdsServer.Port = 0
	reg := prometheus.NewRegistry()
	cp, err := controlplane.New(controlplane.Options{Config: staticCfg, Logger: logr.Discard(), RestConfig: cfg, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cp.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("control plane stopped with %v", err)
		}
	})
	envoy, err := xdstest.Dial(cp.XdsAddress(), ns+"/"+gateway, insecure.NewCredentials())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(envoy.Close)
	return c, staticCfg, reg, envoy
}

// createObjects creates the namespaces, the GatewayClass, the Gateway (HTTP
// and HTTPS listeners), its certificate and the backend Services with one
// EndpointSlice each.
func createObjects(t *testing.T, c client.Client) {
	t.Helper()
	ctx := t.Context()
	must := func(obj client.Object) {
		t.Helper()
		if err := c.Create(ctx, obj); err != nil {
			t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
		}
	}
	for _, n := range []string{ns, otherNS, controlPlaneNamespace} {
		must(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}})
	}
	must(&gwapiv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: class},
		Spec: gwapiv1.GatewayClassSpec{ControllerName: egv1a1.DefaultControllerName}})
	secret, err := tlsSecret()
	if err != nil {
		t.Fatal(err)
	}
	must(secret)
	all := &gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: ptr.To(gwapiv1.NamespacesFromAll)}}
	must(&gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: gateway}, Spec: gwapiv1.GatewaySpec{
		GatewayClassName: class,
		Listeners: []gwapiv1.Listener{
			{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 80, AllowedRoutes: all},
			{Name: "https", Protocol: gwapiv1.HTTPSProtocolType, Port: 443, AllowedRoutes: all,
				TLS: &gwapiv1.ListenerTLSConfig{CertificateRefs: []gwapiv1.SecretObjectReference{{Name: certSecret}}}},
		},
	}})
	rng := newChurn(c, 1).rng
	for i := range services + others {
		namespace, name := ns, fmt.Sprintf("svc-%d", i)
		if i >= services {
			namespace, name = otherNS, fmt.Sprintf("other-%d", i-services)
		}
		must(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: corev1.ServiceSpec{
			Ports: []corev1.ServicePort{{Name: "http", Port: backendPort, Protocol: corev1.ProtocolTCP}},
		}})
		must(&discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name,
				Labels: map[string]string{discoveryv1.LabelServiceName: name}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: new("http"), Port: new(int32(3000)), Protocol: new(corev1.ProtocolTCP)}},
			Endpoints:   endpoints(rng, 2),
		})
	}
}

// tlsSecret is the HTTPS listener's certificate: a new self-signed one.
func tlsSecret() (*corev1.Secret, error) {
	certs, err := crypto.Generate(crypto.Options{ServerDNSNames: []string{"*.example.com"}})
	if err != nil {
		return nil, err
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: certSecret},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: certs.Server.CertPEM, corev1.TLSPrivateKeyKey: certs.Server.KeyPEM},
	}, nil
}

// report prints one figure line.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("SOAK: "+format, args...)
}

// reportFigures prints what the soak did and what the control plane did.
func reportFigures(t *testing.T, ch *churn, reg *prometheus.Registry, envoy *xdstest.Client,
	checkpoints, divergences int, worst, took time.Duration) {
	t.Helper()
	total := 0
	for k, n := range ch.counts {
		if !strings.HasSuffix(k, "spec") {
			total += n
		}
	}
	report(t, "ran %s (%d changes): %d checkpoints, %d divergences, slowest convergence %s", took.Round(time.Second), total,
		checkpoints, divergences, worst.Round(time.Millisecond))
	for _, k := range sortedKeys(ch.counts) {
		report(t, "churn: %s %d", k, ch.counts[k])
	}
	for _, m := range []string{
		"envoy_gateway_provider_snapshots_total", "envoy_gateway_translate_duration_seconds",
		"envoy_gateway_xds_translation_duration_seconds", "envoy_gateway_xds_snapshot_updates_total",
		"envoy_gateway_xds_endpoint_updates_total", "envoy_gateway_xds_pushes_total",
		"envoy_gateway_xds_translation_errors_total", "envoy_gateway_xds_nacks_total", "envoy_gateway_leader_terms_total",
	} {
		report(t, "metric %s %s", m, metricSummary(t, reg, m))
	}
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	report(t, "process: heap %d MiB, %d goroutines; client route version %q", mem.HeapAlloc>>20,
		runtime.NumGoroutine(), envoy.Version("type.googleapis.com/envoy.config.route.v3.RouteConfiguration"))
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// metricSummary is a family's series with their values (histograms: count
// and sum).
func metricSummary(t *testing.T, reg *prometheus.Registry, name string) string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			parts = append(parts, labels(m)+value(m))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

func labels(m *dto.Metric) string {
	l := make([]string, 0, len(m.GetLabel()))
	for _, p := range m.GetLabel() {
		l = append(l, p.GetName()+"="+p.GetValue())
	}
	if len(l) == 0 {
		return ""
	}
	return "{" + strings.Join(l, ",") + "}="
}

func value(m *dto.Metric) string {
	switch {
	case m.GetHistogram() != nil:
		h := m.GetHistogram()
		return fmt.Sprintf("count %d, sum %.3fs", h.GetSampleCount(), h.GetSampleSum())
	case m.GetGauge() != nil:
		return fmt.Sprintf("%g", m.GetGauge().GetValue())
	default:
		return fmt.Sprintf("%g", m.GetCounter().GetValue())
	}
}
