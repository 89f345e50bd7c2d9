package traffic

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/testenv"
	"github.com/envoygw/envoy-gateway/test/conformance"
)

// Names of the objects the tests create.
const (
	namespace   = "traffic"
	gatewayName = "traffic"
	gatewayPort = 80
)

// world is a started harness with a namespace, a Gateway and its address.
type world struct {
	h    *conformance.Harness
	c    client.Client
	addr netip.Addr
	log  *os.File
}

// startWorld starts the harness (logging to bin/traffic/<name>.log) and
// creates the namespace and the Gateway, and waits for its address.
func startWorld(ctx context.Context, name string) (*world, error) {
	path := filepath.Join(testenv.RepoRoot(), "bin", "traffic", name+".log")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	h, err := conformance.StartHarness(ctx, conformance.HarnessOptions{Log: log})
	if err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, path)
	}
	w := &world{h: h, c: h.Client, log: log}
	gw := &gwapiv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: gatewayName},
		Spec: gwapiv1.GatewaySpec{
			GatewayClassName: conformance.GatewayClassName,
			Listeners:        []gwapiv1.Listener{{Name: "http", Port: gatewayPort, Protocol: gwapiv1.HTTPProtocolType}},
		},
	}
	for _, o := range []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, gw} {
		if err := w.c.Create(ctx, o); err != nil {
			return w, err
		}
	}
	return w, w.waitForGateway(ctx)
}

// stop stops the harness.
func (w *world) stop() error {
	err := w.h.Stop()
	_ = w.log.Close()
	return err
}

// waitForGateway waits until the Gateway is Programmed with an address.
func (w *world) waitForGateway(ctx context.Context) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		var gw gwapiv1.Gateway
		if err := w.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: gatewayName}, &gw); err != nil {
			return false, err
		}
		if !meta.IsStatusConditionTrue(gw.Status.Conditions, string(gwapiv1.GatewayConditionProgrammed)) || len(gw.Status.Addresses) == 0 {
			return false, nil
		}
		a, err := netip.ParseAddr(gw.Status.Addresses[0].Value)
		if err != nil {
			return false, err
		}
		w.addr = a
		return true, nil
	})
}

// backend creates an echo Deployment with its Service (port 8080 to the
// echo port 3000).
func (w *world) backend(ctx context.Context, name string, replicas int32) error {
	labels := map[string]string{"app": name}
	field := func(n, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: n, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: name, Image: conformance.EchoImage + ":v1.5.1",
					Env: []corev1.EnvVar{field("POD_NAME", "metadata.name"), field("NAMESPACE", "metadata.namespace")},
				}}},
			},
		},
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{
			Name: "http", Port: 8080, TargetPort: intstr.FromInt32(3000), Protocol: corev1.ProtocolTCP,
		}}},
	}
	for _, o := range []client.Object{dep, svc} {
		if err := w.c.Create(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// scale sets a Deployment's replicas.
func (w *world) scale(ctx context.Context, name string, replicas int32) error {
	var dep appsv1.Deployment
	if err := w.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &dep); err != nil {
		return err
	}
	dep.Spec.Replicas = &replicas
	return w.c.Update(ctx, &dep)
}

// route is an HTTPRoute of the Gateway sending an exact path to a backend.
func route(name, path, backend string) *gwapiv1.HTTPRoute {
	return &gwapiv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{Name: gatewayName}}},
			Rules: []gwapiv1.HTTPRouteRule{{
				Matches: []gwapiv1.HTTPRouteMatch{{Path: &gwapiv1.HTTPPathMatch{
					Type: new(gwapiv1.PathMatchExact), Value: new(path),
				}}},
				BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{BackendObjectReference: gwapiv1.BackendObjectReference{
					Name: gwapiv1.ObjectName(backend), Port: new(gwapiv1.PortNumber(8080)),
				}}}},
			}},
		},
	}
}

// answer is what a request through the Gateway came back with: the status
// and, from an echo backend, the Pod and path that served it.
type answer struct {
	Status int
	Pod    string `json:"pod"`
	Path   string `json:"path"`
}

// httpClient sends each request on a new connection, as the conformance
// suite does, so that every request is load balanced anew.
var httpClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}

// get sends GET path through the Gateway.
func (w *world) get(ctx context.Context, path string) (answer, error) {
	url := fmt.Sprintf("http://%s%s", netip.AddrPortFrom(w.addr, gatewayPort), path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return answer{}, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{Status: resp.StatusCode}
	if resp.Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(body, &a); err != nil {
			return a, fmt.Errorf("decoding %q: %w", body, err)
		}
	}
	return a, nil
}
