package controlplane_test

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/config"
	"github.com/envoygw/envoy-gateway/internal/controlplane"
	"github.com/envoygw/envoy-gateway/internal/crypto"
)

// runningControlPlane is a control plane with the Kubernetes provider,
// started in this process against the envtest API server.
type runningControlPlane struct {
	cancel  context.CancelFunc
	done    chan error
	xdsAddr string
	admin   string
}

// startControlPlane starts a control plane serving plaintext xDS on a
// loopback port the system picks, with leader election.
func startControlPlane() *runningControlPlane {
	return startControlPlaneWith(logf.Log.WithName("controlplane"), egv1a1.DefaultControllerName)
}

// startControlPlaneWith is startControlPlane with the control plane's logger
// and the GatewayClass controllerName it serves.
func startControlPlaneWith(log logr.Logger, controllerName string) *runningControlPlane {
	return startControlPlaneWithConfig(log, controllerName, "")
}

// startControlPlaneWithConfig is startControlPlaneWith with more top-level
// sections of the static configuration.
func startControlPlaneWithConfig(log logr.Logger, controllerName, extraConfig string) *runningControlPlane {
	staticCfg, err := config.Parse([]byte(`apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
provider:
  type: Kubernetes
xdsServer:
  address: 127.0.0.1
  plaintext: true
admin:
  address: 127.0.0.1:0
logging:
  level: debug
` + extraConfig))
	Expect(err).NotTo(HaveOccurred())
	staticCfg.XdsServer.Port = 0 // bound by New: no port race
	staticCfg.Gateway.ControllerName = controllerName
	cp, err := controlplane.New(controlplane.Options{
		Config:     staticCfg,
		Logger:     log,
		RestConfig: cfg,
		// A registry per control plane: specs start several in one process.
		Registry: prometheus.NewRegistry(),
	})
	Expect(err).NotTo(HaveOccurred())
	runCtx, cancelRun := context.WithCancel(ctx)
	r := &runningControlPlane{
		cancel:  cancelRun,
		done:    make(chan error, 1),
		xdsAddr: cp.XdsAddress(),
		admin:   cp.AdminAddress(),
	}
	go func() { r.done <- cp.Run(runCtx) }()
	return r
}

// stop stops the control plane and waits for it.
func (r *runningControlPlane) stop() {
	r.cancel()
	Eventually(r.done, 30*time.Second).Should(Receive(BeNil()))
}

func ensureNamespace(name string) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8sClient.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		Expect(err).NotTo(HaveOccurred())
	}
}

func newGatewayClass(name string) *gwapiv1.GatewayClass {
	return &gwapiv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       gwapiv1.GatewayClassSpec{ControllerName: egv1a1.DefaultControllerName},
	}
}

// tlsSecret is the Secret www-cert of namespace ns: a new self-signed
// certificate of www.example.com.
func tlsSecret(ns string) *corev1.Secret {
	certs, err := crypto.Generate(crypto.Options{ServerDNSNames: []string{"www.example.com"}})
	Expect(err).NotTo(HaveOccurred())
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "www-cert"},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       certs.Server.CertPEM,
			corev1.TLSPrivateKeyKey: certs.Server.KeyPEM,
		},
	}
}

func backendService(ns, name string, port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: "http", Port: port, Protocol: corev1.ProtocolTCP,
		}}},
	}
}

// webEndpointSlice is the EndpointSlice of the Service "web" in ns, port 8080.
func webEndpointSlice(ns string, addresses ...string) *discoveryv1.EndpointSlice {
	const service, port = "web", int32(8080)
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: service + "-slice",
			Labels: map[string]string{discoveryv1.LabelServiceName: service},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: new("http"), Port: new(port), Protocol: new(corev1.ProtocolTCP)}},
	}
	for _, a := range addresses {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{a},
			Conditions: discoveryv1.EndpointConditions{Ready: new(true)},
		})
	}
	return es
}

// httpRoute is a route of www.example.com, attached to the Gateway gw of its
// namespace, to one backend Service.
func httpRoute(ns, name string, backendNS *string, backend string, port int32) *gwapiv1.HTTPRoute {
	return httpRouteTo(ns, name, "gw", backendNS, backend, port)
}

// httpRouteTo is httpRoute attached to the Gateway gateway of its namespace.
func httpRouteTo(ns, name, gateway string, backendNS *string, backend string, port int32) *gwapiv1.HTTPRoute {
	return &gwapiv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{Name: gwapiv1.ObjectName(gateway)}}},
			Hostnames:       []gwapiv1.Hostname{"www.example.com"},
			Rules: []gwapiv1.HTTPRouteRule{{
				BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
					BackendObjectReference: gwapiv1.BackendObjectReference{
						Name:      gwapiv1.ObjectName(backend),
						Namespace: (*gwapiv1.Namespace)(backendNS),
						Port:      new(port),
					},
				}}},
			}},
		},
	}
}

// gatewayClassAccepted returns a getter of a GatewayClass's Accepted condition, for Eventually.
func gatewayClassAccepted(name string) func() *metav1.Condition {
	return func() *metav1.Condition {
		var gc gwapiv1.GatewayClass
		if err := k8sClient.Get(ctx, client.ObjectKey{Name: name}, &gc); err != nil {
			return nil
		}
		return meta.FindStatusCondition(gc.Status.Conditions, string(gwapiv1.GatewayClassConditionStatusAccepted))
	}
}

func gatewayCondition(ns, name, condType string) func() *metav1.Condition {
	return func() *metav1.Condition {
		var gw gwapiv1.Gateway
		if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &gw); err != nil {
			return nil
		}
		return meta.FindStatusCondition(gw.Status.Conditions, condType)
	}
}

func listenerStatus(ns, name, listener string) func() *gwapiv1.ListenerStatus {
	return func() *gwapiv1.ListenerStatus {
		var gw gwapiv1.Gateway
		if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &gw); err != nil {
			return nil
		}
		for i := range gw.Status.Listeners {
			if string(gw.Status.Listeners[i].Name) == listener {
				return &gw.Status.Listeners[i]
			}
		}
		return nil
	}
}

func routeParentCondition(ns, name, condType string) func() *metav1.Condition {
	return func() *metav1.Condition {
		var r gwapiv1.HTTPRoute
		if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &r); err != nil {
			return nil
		}
		for _, p := range r.Status.Parents {
			if string(p.ControllerName) == egv1a1.DefaultControllerName {
				return meta.FindStatusCondition(p.Conditions, condType)
			}
		}
		return nil
	}
}

// update reads obj, applies mutate and writes it, retrying on conflicts (the
// status writer updates the same objects).
func update(obj client.Object, mutate func()) {
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate()
		return k8sClient.Update(ctx, obj)
	})).To(Succeed())
}

// haveCondition matches a *metav1.Condition with the given status and reason.
func haveCondition(status metav1.ConditionStatus, reason string) OmegaMatcher {
	return And(Not(BeNil()), HaveField("Status", status), HaveField("Reason", reason))
}

// createMarkerGateway creates a Gateway of class in ns with one listener and
// waits until its Accepted status is written: the status writer handles
// results in order, so every result before the one with this Gateway has
// been written by then.
func createMarkerGateway(ns, name, class string) {
	Expect(k8sClient.Create(ctx, &gwapiv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gwapiv1.GatewaySpec{
			GatewayClassName: gwapiv1.ObjectName(class),
			Listeners:        []gwapiv1.Listener{{Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 7070}},
		},
	})).To(Succeed())
	Eventually(gatewayCondition(ns, name, "Accepted")).Should(haveCondition(metav1.ConditionTrue, "Accepted"))
}
