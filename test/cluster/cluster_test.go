package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/testenv"
	"github.com/envoygw/envoy-gateway/test/cluster"
	"github.com/envoygw/envoy-gateway/test/echo"
)

const (
	echoImage = "registry.k8s.io/gateway-api/echo-basic:v1.5.1"
	// waitTimeout bounds every wait: generous, for a loaded machine.
	waitTimeout = 60 * time.Second
)

// echoRuntime runs the echo image.
func echoRuntime(ctx context.Context, spec cluster.ContainerSpec) (cluster.Container, error) {
	return echo.StartContainer(ctx, spec.Env, spec.ReadFile, spec.PodIP, spec.Stdout)
}

// env is a started envtest API server with a Cluster on it.
type env struct {
	t   *testing.T
	c   client.Client
	cs  *kubernetes.Clientset
	cl  *cluster.Cluster
	net *cluster.Network
}

func start(t *testing.T) *env {
	t.Helper()
	network, err := cluster.ClaimNetwork()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := network.Release(); err != nil {
			t.Error(err)
		}
	})
	cl, err := cluster.New(cluster.Options{
		Network: network, CertDir: t.TempDir(), Logger: testr.New(t),
		Images: cluster.Images{cluster.Repository(echoImage): echoRuntime},
	})
	if err != nil {
		t.Fatal(err)
	}
	te, err := testenv.NewEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	cl.ConfigureAPIServer(te)
	cfg, err := te.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := te.Stop(); err != nil {
			t.Error(err)
		}
	})
	if err := cl.Start(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cl.Stop(); err != nil {
			t.Error(err)
		}
	})
	c, err := client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, c: c, cs: kubernetes.NewForConfigOrDie(cfg), cl: cl, net: network}
}

// waitFor polls cond until it holds.
func (e *env) waitFor(what string, cond func(ctx context.Context) (bool, error)) {
	e.t.Helper()
	if err := wait.PollUntilContextTimeout(e.t.Context(), 100*time.Millisecond, waitTimeout, true, cond); err != nil {
		e.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// echoDeployment is a Deployment of the echo image.
func echoDeployment(ns, name string, replicas int32, image string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	fieldEnv := func(n, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: n, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: name, Image: image,
					Env:   []corev1.EnvVar{fieldEnv("POD_NAME", "metadata.name"), fieldEnv("NAMESPACE", "metadata.namespace")},
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 3000}},
				}}},
			},
		},
	}
}

// echoAnswer is the part of the echo server's answer the test reads.
type echoAnswer struct {
	Path      string `json:"path"`
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
}

// get sends GET path to addr and decodes the echo answer.
func get(ctx context.Context, addr netip.AddrPort, path string) (echoAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr.String()+path, nil)
	if err != nil {
		return echoAnswer{}, err
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return echoAnswer{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return echoAnswer{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return echoAnswer{}, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	var a echoAnswer
	return a, json.Unmarshal(body, &a)
}

// TestCluster runs a Deployment of the echo image behind a LoadBalancer
// Service and checks every part the cluster plays: scheduling, Pod IPs and
// readiness, Deployment status, EndpointSlices, DNS, the ClusterIP and load
// balancer forwarding, pods/log through the API server, deletion, and a Pod
// whose image has no runtime.
func TestCluster(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps"}}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
		},
	}
	for _, o := range []client.Object{ns, svc, echoDeployment("apps", "web", 2, echoImage)} {
		if err := e.c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	e.waitFor("the Deployment to be available", func(ctx context.Context) (bool, error) {
		var d appsv1.Deployment
		err := e.c.Get(ctx, client.ObjectKey{Namespace: "apps", Name: "web"}, &d)
		return err == nil && d.Status.AvailableReplicas == 2, nil
	})
	checkPods(e)
	lb := checkService(e)
	checkForwarding(e, lb)
	checkLogs(e)
	checkDeletion(e)
	checkUnknownImage(e)
	if p := e.cl.Problems(); len(p) > 0 {
		t.Errorf("cluster problems: %v", p)
	}
}

// checkPods checks the Pods are bound, addressed and Ready.
func checkPods(e *env) {
	var pods corev1.PodList
	if err := e.c.List(e.t.Context(), &pods, client.InNamespace("apps"), client.MatchingLabels{"app": "web"}); err != nil {
		e.t.Fatal(err)
	}
	for _, p := range pods.Items {
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if p.Spec.NodeName != cluster.NodeName || err != nil || !e.net.Block().Contains(ip) ||
			p.Status.Phase != corev1.PodRunning || p.Status.HostIP != e.net.NodeIP().String() {
			e.t.Errorf("pod %s: node %q, IP %q, phase %s, host %s", p.Name, p.Spec.NodeName, p.Status.PodIP, p.Status.Phase, p.Status.HostIP)
		}
	}
}

// checkService waits for the EndpointSlice and the load balancer address,
// checks DNS, and returns the load balancer's address.
func checkService(e *env) netip.Addr {
	e.waitFor("two ready endpoints", func(ctx context.Context) (bool, error) {
		var list discoveryv1.EndpointSliceList
		if err := e.c.List(ctx, &list, client.InNamespace("apps"), client.MatchingLabels{discoveryv1.LabelServiceName: "web"}); err != nil {
			return false, err
		}
		ready := 0
		for _, s := range list.Items {
			for _, ep := range s.Endpoints {
				if *ep.Conditions.Ready && *s.Ports[0].Port == 3000 {
					ready++
				}
			}
		}
		return ready == 2, nil
	})
	var svc corev1.Service
	e.waitFor("the load balancer address", func(ctx context.Context) (bool, error) {
		err := e.c.Get(ctx, client.ObjectKey{Namespace: "apps", Name: "web"}, &svc)
		return err == nil && len(svc.Status.LoadBalancer.Ingress) == 1, err
	})
	addrs, err := e.cl.Resolver("apps").LookupNetIP(e.t.Context(), "ip4", "web.apps.svc")
	if err != nil || len(addrs) != 1 || addrs[0].String() != svc.Spec.ClusterIP {
		e.t.Errorf("web.apps.svc resolves to %v (%v), want the ClusterIP %s", addrs, err, svc.Spec.ClusterIP)
	}
	return netip.MustParseAddr(svc.Status.LoadBalancer.Ingress[0].IP)
}

// checkForwarding sends requests through the ClusterIP and the load
// balancer: answers come from both Pods.
func checkForwarding(e *env, lb netip.Addr) {
	var svc corev1.Service
	if err := e.c.Get(e.t.Context(), client.ObjectKey{Namespace: "apps", Name: "web"}, &svc); err != nil {
		e.t.Fatal(err)
	}
	for _, addr := range []netip.Addr{lb, netip.MustParseAddr(svc.Spec.ClusterIP)} {
		pods := map[string]bool{}
		for i := range 4 {
			a, err := get(e.t.Context(), netip.AddrPortFrom(addr, 8080), fmt.Sprintf("/hello?n=%d", i))
			if err != nil {
				e.t.Fatalf("GET via %s: %v", addr, err)
			}
			if a.Namespace != "apps" || !strings.HasPrefix(a.Pod, "web-") || a.Path != fmt.Sprintf("/hello?n=%d", i) {
				e.t.Errorf("answer via %s: %+v", addr, a)
			}
			pods[a.Pod] = true
		}
		if len(pods) != 2 {
			e.t.Errorf("requests via %s reached %v, want both Pods (round robin)", addr, pods)
		}
	}
}

// checkLogs reads a Pod's log through the API server's pods/log.
func checkLogs(e *env) {
	var pods corev1.PodList
	if err := e.c.List(e.t.Context(), &pods, client.InNamespace("apps"), client.MatchingLabels{"app": "web"}); err != nil {
		e.t.Fatal(err)
	}
	found := 0
	for _, p := range pods.Items {
		since := metav1.NewTime(time.Now().Add(-time.Hour))
		b, err := e.cs.CoreV1().Pods("apps").GetLogs(p.Name, &corev1.PodLogOptions{Container: "web", SinceTime: &since}).DoRaw(e.t.Context())
		if err != nil {
			e.t.Fatalf("logs of %s: %v", p.Name, err)
		}
		if strings.Contains(string(b), "Echoing back request made to /hello?n=") {
			found++
		}
	}
	if found != 2 {
		e.t.Errorf("%d Pods logged the echoed requests, want 2", found)
	}
}

// checkDeletion scales the Deployment to one: the other Pod is stopped
// and removed, and its endpoint leaves the slice.
func checkDeletion(e *env) {
	var d appsv1.Deployment
	if err := e.c.Get(e.t.Context(), client.ObjectKey{Namespace: "apps", Name: "web"}, &d); err != nil {
		e.t.Fatal(err)
	}
	d.Spec.Replicas = new(int32(1))
	if err := e.c.Update(e.t.Context(), &d); err != nil {
		e.t.Fatal(err)
	}
	e.waitFor("one Pod left", func(ctx context.Context) (bool, error) {
		var pods corev1.PodList
		err := e.c.List(ctx, &pods, client.InNamespace("apps"), client.MatchingLabels{"app": "web"})
		return err == nil && len(pods.Items) == 1, err
	})
	e.waitFor("one endpoint left", func(ctx context.Context) (bool, error) {
		var list discoveryv1.EndpointSliceList
		err := e.c.List(ctx, &list, client.InNamespace("apps"), client.MatchingLabels{discoveryv1.LabelServiceName: "web"})
		return err == nil && len(list.Items) == 1 && len(list.Items[0].Endpoints) == 1, err
	})
}

// checkUnknownImage runs a Deployment of an image without a runtime: its
// Pod stays not Ready and says why.
func checkUnknownImage(e *env) {
	if err := e.c.Create(e.t.Context(), echoDeployment("apps", "mystery", 1, "example.com/mystery:1")); err != nil {
		e.t.Fatal(err)
	}
	e.waitFor("the Pod to say why it does not run", func(ctx context.Context) (bool, error) {
		var pods corev1.PodList
		if err := e.c.List(ctx, &pods, client.InNamespace("apps"), client.MatchingLabels{"app": "mystery"}); err != nil {
			return false, err
		}
		if len(pods.Items) != 1 || len(pods.Items[0].Status.ContainerStatuses) != 1 {
			return false, nil
		}
		p := pods.Items[0]
		w := p.Status.ContainerStatuses[0].State.Waiting
		ready := false
		for _, c := range p.Status.Conditions {
			ready = ready || (c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue)
		}
		return w != nil && w.Reason == "ImageNotSupported" && !ready, nil
	})
}
