package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// The workload: one GatewayClass and one Gateway (namespace infra) with two
// HTTP listeners (8080, 8081) taking routes from every namespace and one
// HTTPS listener (8443, hostname secure.bench.test, certificate Secret
// infra/bench-cert) taking only the HTTPRoute infra/secure. N HTTPRoutes
// spread over ten namespaces, each with its own hostname and two rules (a
// prefix match with a header match, an exact match with a header filter),
// each rule forwarding to a Service of its own with an EndpointSlice of
// three ready endpoints. So N routes give 2N Services, EndpointSlices and
// EDS clusters, and 4N Envoy routes (two rules on two listeners).
const (
	gatewayNamespace = "infra"
	gatewayName      = "eg"
	className        = "eg"
	secretName       = "bench-cert"
	secureHostname   = "secure.bench.test"
	servicePort      = 8080
	namespaces       = 10
	endpointsPerPort = 3
)

// httpPorts are the ports of the two HTTP listeners; httpsPort that of the HTTPS one.
var httpPorts = []int32{8080, 8081}

const httpsPort = 8443

// fleet is the name of the Gateway's fleet (node.cluster of its proxies).
const fleet = gatewayNamespace + "/" + gatewayName

// workload is the generated world of n routes.
type workload struct {
	n int
}

// routeNamespace is the namespace of route i and its Services.
func routeNamespace(i int) string { return fmt.Sprintf("ns-%d", i%namespaces) }

func routeName(i int) string         { return fmt.Sprintf("route-%d", i) }
func routeHost(i int) string         { return fmt.Sprintf("app-%d.bench.test", i) }
func serviceName(i, rule int) string { return fmt.Sprintf("svc-%d-%c", i, 'a'+rule) }

// clusterName is the name the resource translator gives the cluster of a
// Service port ("service/<namespace>/<name>/<port>").
func clusterName(i, rule int) string {
	return fmt.Sprintf("service/%s/%s/%d", routeNamespace(i), serviceName(i, rule), servicePort)
}

// tenant is the header value route i's first rule matches, at version v.
func tenant(i, v int) string { return fmt.Sprintf("t-%d-v%d", i, v) }

// endpointAddress is the address of endpoint e of Service (i, rule), at
// version v (only endpoint 0 moves with v).
func endpointAddress(i, rule, e, v int) string {
	svc := 2*i + rule
	last := e + 1
	if e == 0 {
		last = 10 + v%240
	}
	return fmt.Sprintf("10.%d.%d.%d", svc/200, svc%200, last)
}

// objects returns every object of the workload, the namespaces first.
func (w workload) objects() ([]client.Object, error) {
	cert, err := newCertificate(0)
	if err != nil {
		return nil, err
	}
	out := []client.Object{namespace(gatewayNamespace)}
	for i := range namespaces {
		out = append(out, namespace(routeNamespace(i)))
	}
	out = append(out, gatewayClass(), gateway(), cert.secret(), secureRoute())
	for i := range w.n {
		out = append(out, httpRoute(i, 0))
		for rule := range 2 {
			out = append(out, service(i, rule), endpointSlice(i, rule, 0))
		}
	}
	return out, nil
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
	}
}

func gatewayClass() *gwapiv1.GatewayClass {
	return &gwapiv1.GatewayClass{
		TypeMeta:   metav1.TypeMeta{APIVersion: gwapiv1.GroupVersion.String(), Kind: "GatewayClass"},
		ObjectMeta: metav1.ObjectMeta{Name: className},
		Spec:       gwapiv1.GatewayClassSpec{ControllerName: egv1a1.DefaultControllerName},
	}
}

func gateway() *gwapiv1.Gateway {
	all, same := gwapiv1.NamespacesFromAll, gwapiv1.NamespacesFromSame
	gw := &gwapiv1.Gateway{
		TypeMeta:   metav1.TypeMeta{APIVersion: gwapiv1.GroupVersion.String(), Kind: "Gateway"},
		ObjectMeta: metav1.ObjectMeta{Namespace: gatewayNamespace, Name: gatewayName},
		Spec:       gwapiv1.GatewaySpec{GatewayClassName: className},
	}
	for k, port := range httpPorts {
		gw.Spec.Listeners = append(gw.Spec.Listeners, gwapiv1.Listener{
			Name: gwapiv1.SectionName(fmt.Sprintf("http-%d", k)), Port: port, Protocol: gwapiv1.HTTPProtocolType,
			AllowedRoutes: &gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: &all}},
		})
	}
	host := gwapiv1.Hostname(secureHostname)
	mode := gwapiv1.TLSModeTerminate
	gw.Spec.Listeners = append(gw.Spec.Listeners, gwapiv1.Listener{
		Name: "https", Port: httpsPort, Protocol: gwapiv1.HTTPSProtocolType, Hostname: &host,
		TLS: &gwapiv1.ListenerTLSConfig{
			Mode:            &mode,
			CertificateRefs: []gwapiv1.SecretObjectReference{{Name: secretName}},
		},
		AllowedRoutes: &gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: &same}},
	})
	return gw
}

// kindHTTPRoute and kindService are kind names.
const (
	kindHTTPRoute = "HTTPRoute"
	kindService   = "Service"
)

// secureRoute is the HTTPRoute of the HTTPS listener (to route 0's first Service).
func secureRoute() *gwapiv1.HTTPRoute {
	section := gwapiv1.SectionName("https")
	port := gwapiv1.PortNumber(servicePort)
	ns := gwapiv1.Namespace(routeNamespace(0))
	return &gwapiv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: gwapiv1.GroupVersion.String(), Kind: kindHTTPRoute},
		ObjectMeta: metav1.ObjectMeta{Namespace: gatewayNamespace, Name: "secure"},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{
				ParentRefs: []gwapiv1.ParentReference{{Name: gatewayName, SectionName: &section}},
			},
			Hostnames: []gwapiv1.Hostname{secureHostname},
			Rules: []gwapiv1.HTTPRouteRule{{BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
				BackendObjectReference: gwapiv1.BackendObjectReference{
					Name: gwapiv1.ObjectName(serviceName(0, 0)), Namespace: &ns, Port: &port,
				},
			}}}}},
		},
	}
}

// httpRoute is route i at version v (v changes the header value of its first rule).
func httpRoute(i, v int) *gwapiv1.HTTPRoute {
	gwNS := gwapiv1.Namespace(gatewayNamespace)
	prefix, exact := gwapiv1.PathMatchPathPrefix, gwapiv1.PathMatchExact
	backend := func(rule int) []gwapiv1.HTTPBackendRef {
		port := gwapiv1.PortNumber(servicePort)
		return []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
			BackendObjectReference: gwapiv1.BackendObjectReference{
				Name: gwapiv1.ObjectName(serviceName(i, rule)), Port: &port,
			},
		}}}
	}
	return &gwapiv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: gwapiv1.GroupVersion.String(), Kind: kindHTTPRoute},
		ObjectMeta: metav1.ObjectMeta{Namespace: routeNamespace(i), Name: routeName(i)},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{
				ParentRefs: []gwapiv1.ParentReference{{Name: gatewayName, Namespace: &gwNS}},
			},
			Hostnames: []gwapiv1.Hostname{gwapiv1.Hostname(routeHost(i))},
			Rules: []gwapiv1.HTTPRouteRule{
				{
					Matches: []gwapiv1.HTTPRouteMatch{{
						Path:    &gwapiv1.HTTPPathMatch{Type: &prefix, Value: new("/api")},
						Headers: []gwapiv1.HTTPHeaderMatch{{Name: "x-tenant", Value: tenant(i, v)}},
					}},
					BackendRefs: backend(0),
				},
				{
					Matches: []gwapiv1.HTTPRouteMatch{{Path: &gwapiv1.HTTPPathMatch{Type: &exact, Value: new("/healthz")}}},
					Filters: []gwapiv1.HTTPRouteFilter{{
						Type:                  gwapiv1.HTTPRouteFilterRequestHeaderModifier,
						RequestHeaderModifier: &gwapiv1.HTTPHeaderFilter{Set: []gwapiv1.HTTPHeader{{Name: "x-probe", Value: "1"}}},
					}},
					BackendRefs: backend(1),
				},
			},
		},
	}
}

func service(i, rule int) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: kindService},
		ObjectMeta: metav1.ObjectMeta{Namespace: routeNamespace(i), Name: serviceName(i, rule)},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: "http", Port: servicePort, TargetPort: intstr.FromInt32(3000), Protocol: corev1.ProtocolTCP,
		}}},
	}
}

// endpointSlice is the EndpointSlice of Service (i, rule) at version v.
func endpointSlice(i, rule, v int) *discoveryv1.EndpointSlice {
	name, port, proto, ready := "http", int32(3000), corev1.ProtocolTCP, true
	es := &discoveryv1.EndpointSlice{
		TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: routeNamespace(i), Name: serviceName(i, rule) + "-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: serviceName(i, rule)},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}},
	}
	for e := range endpointsPerPort {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{endpointAddress(i, rule, e, v)},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		})
	}
	return es
}

// certificate is a self-signed ECDSA P-256 certificate for secureHostname.
type certificate struct {
	certPEM, keyPEM []byte
}

// newCertificate makes a certificate; serial makes each one distinct.
func newCertificate(serial int64) (*certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial + 1),
		Subject:      pkix.Name{CommonName: secureHostname},
		DNSNames:     []string{secureHostname},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &certificate{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

func (c *certificate) secret() *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: gatewayNamespace, Name: secretName},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: c.certPEM, corev1.TLSPrivateKeyKey: c.keyPEM},
	}
}
