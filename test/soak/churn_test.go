package soak_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Namespaces and names of the soak's objects.
const (
	ns         = "soak"
	otherNS    = "soak-other"
	class      = "soak"
	gateway    = "gw"
	certSecret = "cert"
	grantName  = "allow-soak"
	services   = 8
	others     = 3
	maxRoutes  = 40
	// backendPort is every backend Service's port.
	backendPort = 8080
)

// churn makes random changes, keeping count of them by kind.
type churn struct {
	c      client.Client
	rng    *rand.Rand
	routes []string
	next   int
	counts map[string]int
}

func newChurn(c client.Client, seed uint64) *churn {
	return &churn{c: c, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), counts: map[string]int{}}
}

// step makes one random change.
func (ch *churn) step(ctx context.Context) error {
	switch n := ch.rng.IntN(100); {
	case n < 30 && len(ch.routes) < maxRoutes:
		return ch.createRoute(ctx)
	case n < 60 && len(ch.routes) > 0:
		return ch.updateRoute(ctx)
	case n < 75 && len(ch.routes) > 0:
		return ch.deleteRoute(ctx)
	case n < 90:
		return ch.moveEndpoints(ctx)
	case n < 95:
		return ch.toggleGrant(ctx)
	default:
		return ch.toggleSecret(ctx)
	}
}

func (ch *churn) count(kind string) { ch.counts[kind]++ }

func (ch *churn) createRoute(ctx context.Context) error {
	name := fmt.Sprintf("route-%d", ch.next)
	ch.next++
	route := &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	route.Spec = ch.routeSpec()
	if err := ch.c.Create(ctx, route); err != nil {
		return fmt.Errorf("creating HTTPRoute %s: %w", name, err)
	}
	ch.routes = append(ch.routes, name)
	ch.count("route created")
	return nil
}

func (ch *churn) updateRoute(ctx context.Context) error {
	name := ch.routes[ch.rng.IntN(len(ch.routes))]
	var route gwapiv1.HTTPRoute
	if err := ch.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &route); err != nil {
		return err
	}
	route.Spec = ch.routeSpec()
	if err := ch.c.Update(ctx, &route); err != nil && !apierrors.IsConflict(err) {
		return fmt.Errorf("updating HTTPRoute %s: %w", name, err)
	}
	ch.count("route replaced")
	return nil
}

func (ch *churn) deleteRoute(ctx context.Context) error {
	i := ch.rng.IntN(len(ch.routes))
	name := ch.routes[i]
	ch.routes = slices.Delete(ch.routes, i, i+1)
	err := ch.c.Delete(ctx, &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting HTTPRoute %s: %w", name, err)
	}
	ch.count("route deleted")
	return nil
}

// routeSpec is a random route: about one in three has a problem the
// translator reports (the API server admits it).
func (ch *churn) routeSpec() gwapiv1.HTTPRouteSpec {
	parent := gwapiv1.ParentReference{Name: gateway}
	invalid := ch.rng.IntN(3) == 0
	problem := -1
	if invalid {
		problem = ch.rng.IntN(3)
		ch.count("invalid route spec")
	} else {
		ch.count("valid route spec")
	}
	if problem == 0 {
		parent.SectionName = ptr.To(gwapiv1.SectionName("no-such-listener"))
	}
	hosts := []gwapiv1.Hostname{"a.example.com", "b.example.com", "*.example.com", "c.example.org"}
	spec := gwapiv1.HTTPRouteSpec{
		CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{parent}},
		Hostnames:       []gwapiv1.Hostname{hosts[ch.rng.IntN(len(hosts))]},
	}
	for r := range 1 + ch.rng.IntN(3) {
		rule := gwapiv1.HTTPRouteRule{Matches: []gwapiv1.HTTPRouteMatch{ch.match(r)}}
		for range 1 + ch.rng.IntN(2) {
			rule.BackendRefs = append(rule.BackendRefs, ch.backend(problem))
		}
		spec.Rules = append(spec.Rules, rule)
	}
	return spec
}

func (ch *churn) match(rule int) gwapiv1.HTTPRouteMatch {
	m := gwapiv1.HTTPRouteMatch{Path: &gwapiv1.HTTPPathMatch{
		Type:  ptr.To(gwapiv1.PathMatchPathPrefix),
		Value: new(fmt.Sprintf("/r%d/p%d", rule, ch.rng.IntN(20))),
	}}
	if ch.rng.IntN(2) == 0 {
		m.Path.Type = ptr.To(gwapiv1.PathMatchExact)
	}
	if ch.rng.IntN(3) == 0 {
		m.Headers = []gwapiv1.HTTPHeaderMatch{{Name: "x-soak", Value: fmt.Sprintf("v%d", ch.rng.IntN(5))}}
	}
	return m
}

// backend is a backendRef: one of the soak's Services, or for problem 1 a
// Service that does not exist, for problem 2 one of another namespace
// (refused unless the ReferenceGrant exists at the time).
func (ch *churn) backend(problem int) gwapiv1.HTTPBackendRef {
	ref := gwapiv1.BackendObjectReference{
		Name: gwapiv1.ObjectName(fmt.Sprintf("svc-%d", ch.rng.IntN(services))),
		Port: ptr.To(gwapiv1.PortNumber(backendPort)),
	}
	switch problem {
	case 1:
		ref.Name = "no-such-service"
	case 2:
		ref.Name = gwapiv1.ObjectName(fmt.Sprintf("other-%d", ch.rng.IntN(others)))
		ref.Namespace = ptr.To(gwapiv1.Namespace(otherNS))
	}
	return gwapiv1.HTTPBackendRef{BackendRef: gwapiv1.BackendRef{
		BackendObjectReference: ref,
		Weight:                 new(int32(1 + ch.rng.IntN(100))),
	}}
}

// moveEndpoints replaces the addresses of a random Service's EndpointSlice.
func (ch *churn) moveEndpoints(ctx context.Context) error {
	name := fmt.Sprintf("svc-%d", ch.rng.IntN(services))
	var es discoveryv1.EndpointSlice
	if err := ch.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &es); err != nil {
		return err
	}
	es.Endpoints = endpoints(ch.rng, 1+ch.rng.IntN(3))
	if err := ch.c.Update(ctx, &es); err != nil && !apierrors.IsConflict(err) {
		return fmt.Errorf("updating EndpointSlice %s: %w", name, err)
	}
	ch.count("endpoints moved")
	return nil
}

func endpoints(rng *rand.Rand, n int) []discoveryv1.Endpoint {
	out := make([]discoveryv1.Endpoint, 0, n)
	for range n {
		out = append(out, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.%d.%d.%d", rng.IntN(250), rng.IntN(250), 1+rng.IntN(250))},
			Conditions: discoveryv1.EndpointConditions{Ready: new(rng.IntN(5) != 0)},
		})
	}
	return out
}

// toggleGrant creates the ReferenceGrant to the other namespace's Services,
// or deletes it.
func (ch *churn) toggleGrant(ctx context.Context) error {
	grant := &gwapiv1.ReferenceGrant{ObjectMeta: metav1.ObjectMeta{Namespace: otherNS, Name: grantName}}
	err := ch.c.Delete(ctx, grant)
	switch {
	case err == nil:
		ch.count("grant deleted")
		return nil
	case !apierrors.IsNotFound(err):
		return err
	}
	grant.Spec = gwapiv1.ReferenceGrantSpec{
		From: []gwapiv1.ReferenceGrantFrom{{Group: gwapiv1.GroupName, Kind: "HTTPRoute", Namespace: ns}},
		To:   []gwapiv1.ReferenceGrantTo{{Kind: "Service"}},
	}
	ch.count("grant created")
	return ch.c.Create(ctx, grant)
}

// toggleSecret deletes the HTTPS listener's certificate Secret, or creates
// it again.
func (ch *churn) toggleSecret(ctx context.Context) error {
	err := ch.c.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: certSecret}})
	switch {
	case err == nil:
		ch.count("secret deleted")
		return nil
	case !apierrors.IsNotFound(err):
		return err
	}
	s, err := tlsSecret()
	if err != nil {
		return err
	}
	ch.count("secret created")
	return ch.c.Create(ctx, s)
}
