package soak_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/infra"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

// expected is a fresh translation of what the API server holds.
type expected struct {
	result *gatewayapi.Result
	// xds are the fleet's Envoy resources by type URL and name.
	xds map[string]map[string]proto.Message
}

// translateAPIServer lists every object the translator reads from the API
// server (no cache) and translates them as the control plane does.
func translateAPIServer(ctx context.Context, c client.Client, opts gatewayapi.Options, fleet string) (*expected, error) {
	res, endpointSlices, err := listResources(ctx, c)
	if err != nil {
		return nil, err
	}
	if res.InfraStates, err = (infra.Observer{Namespace: controlPlaneNamespace}).States(ctx, c); err != nil {
		return nil, err
	}
	keys := make([]gatewayapi.ObjectKey, 0, len(res.Services))
	for _, s := range res.Services {
		keys = append(keys, gatewayapi.ObjectKey{Namespace: s.Namespace, Name: s.Name})
	}
	eps := gatewayapi.TranslateEndpoints(gatewayapi.NewEndpoints(keys, endpointSlices))
	out := &expected{result: gatewayapi.Translate(res, opts), xds: map[string]map[string]proto.Message{}}
	for _, f := range out.result.Fleets {
		if f.Name != fleet {
			continue
		}
		xr, err := translator.TranslateWithEndpoints(f.Xds, eps)
		if err != nil {
			return nil, fmt.Errorf("xDS translation of fleet %s: %w", fleet, err)
		}
		out.xds = byType(xr)
	}
	return out, nil
}

// listResources lists the objects of a snapshot, and the EndpointSlices.
func listResources(ctx context.Context, c client.Client) (*gatewayapi.Resources, []*discoveryv1.EndpointSlice, error) {
	res := &gatewayapi.Resources{}
	var (
		classes   gwapiv1.GatewayClassList
		gateways  gwapiv1.GatewayList
		routes    gwapiv1.HTTPRouteList
		grants    gwapiv1.ReferenceGrantList
		nss       corev1.NamespaceList
		svcs      corev1.ServiceList
		secrets   corev1.SecretList
		proxies   egv1a1.EnvoyProxyList
		endpoints discoveryv1.EndpointSliceList
	)
	err := errors.Join(c.List(ctx, &classes), c.List(ctx, &gateways), c.List(ctx, &routes), c.List(ctx, &grants),
		c.List(ctx, &nss), c.List(ctx, &svcs, client.InNamespace(ns)), c.List(ctx, &svcs, client.InNamespace(otherNS)),
		c.List(ctx, &secrets, client.InNamespace(ns)), c.List(ctx, &proxies), c.List(ctx, &endpoints))
	if err != nil {
		return nil, nil, err
	}
	res.GatewayClasses = pointers(classes.Items)
	res.Gateways = pointers(gateways.Items)
	res.HTTPRoutes = pointers(routes.Items)
	res.ReferenceGrants = pointers(grants.Items)
	res.Namespaces = pointers(nss.Items)
	res.Secrets = pointers(secrets.Items)
	res.EnvoyProxies = pointers(proxies.Items)
	var all corev1.ServiceList
	if err := c.List(ctx, &all); err != nil {
		return nil, nil, err
	}
	for i := range all.Items {
		if s := &all.Items[i]; s.Namespace == ns || s.Namespace == otherNS {
			res.Services = append(res.Services, s)
		}
	}
	return res, pointers(endpoints.Items), nil
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// byType indexes translated resources by type URL and name.
func byType(r *translator.Resources) map[string]map[string]proto.Message {
	out := map[string]map[string]proto.Message{}
	add := func(typeURL, name string, m proto.Message) {
		if out[typeURL] == nil {
			out[typeURL] = map[string]proto.Message{}
		}
		out[typeURL][name] = m
	}
	for _, m := range r.Listeners {
		add(resourcev3.ListenerType, m.GetName(), m)
	}
	for _, m := range r.Routes {
		add(resourcev3.RouteType, m.GetName(), m)
	}
	for _, m := range r.Clusters {
		add(resourcev3.ClusterType, m.GetName(), m)
	}
	for _, m := range r.Endpoints {
		add(resourcev3.EndpointType, m.GetClusterName(), m)
	}
	for _, m := range r.Secrets {
		add(resourcev3.SecretType, m.GetName(), m)
	}
	return out
}

// xdsDiff compares what the client holds with the expected resources.
func xdsDiff(want map[string]map[string]proto.Message, envoy *xdstest.Client) []string {
	var diffs []string
	for _, typeURL := range xdstest.Types {
		got := envoy.Resources(typeURL)
		names := map[string]bool{}
		for n := range got {
			names[n] = true
		}
		for n := range want[typeURL] {
			names[n] = true
		}
		for _, n := range slices.Sorted(maps.Keys(names)) {
			w, g := want[typeURL][n], got[n]
			switch {
			case w == nil:
				diffs = append(diffs, fmt.Sprintf("%s %s served but not expected", shortType(typeURL), n))
			case g == nil:
				diffs = append(diffs, fmt.Sprintf("%s %s expected but not served", shortType(typeURL), n))
			case !proto.Equal(w, g):
				diffs = append(diffs, fmt.Sprintf("%s %s differs", shortType(typeURL), n))
			}
		}
	}
	return diffs
}

func shortType(typeURL string) string { return typeURL[strings.LastIndex(typeURL, ".")+1:] }

// ignoreTransitions leaves out what the status writer adds: the condition
// transition times.
var ignoreTransitions = cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime")

// statusDiff compares the stored statuses of the GatewayClass, the Gateway
// and every HTTPRoute with the expected ones: the translation's, plus on
// the Gateway the Applied condition its fleet's one proxy (the soak's ADS
// client, which ACKs every response) earns once it holds the configuration.
func statusDiff(
	ctx context.Context, c client.Client, want *gatewayapi.Result, controllerName, fleet string,
) ([]string, error) {
	var diffs []string
	for _, s := range want.Statuses.GatewayClasses {
		var gc gwapiv1.GatewayClass
		if err := c.Get(ctx, client.ObjectKey{Name: s.Name}, &gc); err != nil {
			return nil, err
		}
		if d := cmp.Diff(s.Status, gc.Status, ignoreTransitions); d != "" {
			diffs = append(diffs, fmt.Sprintf("GatewayClass %s (-want +stored):\n%s", s.Name, d))
		}
	}
	for _, s := range want.Statuses.Gateways {
		var gw gwapiv1.Gateway
		if err := c.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: s.Name}, &gw); err != nil {
			return nil, err
		}
		expected := s.Status
		expected.Conditions = append(slices.Clone(s.Status.Conditions), appliedByClient(fleet, gw.Generation))
		if d := cmp.Diff(expected, gw.Status, ignoreTransitions, cmpopts.EquateEmpty()); d != "" {
			diffs = append(diffs, fmt.Sprintf("Gateway %s/%s (-want +stored):\n%s", s.Namespace, s.Name, d))
		}
	}
	for _, s := range want.Statuses.HTTPRoutes.All() {
		var r gwapiv1.HTTPRoute
		if err := c.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: s.Name}, &r); err != nil {
			return nil, err
		}
		var ours []gwapiv1.RouteParentStatus
		for _, p := range r.Status.Parents {
			if string(p.ControllerName) == controllerName {
				ours = append(ours, p)
			}
		}
		if d := cmp.Diff(s.Parents, ours, ignoreTransitions, cmpopts.EquateEmpty()); d != "" {
			diffs = append(diffs, fmt.Sprintf("HTTPRoute %s/%s (-want +stored):\n%s", s.Namespace, s.Name, d))
		}
	}
	return diffs, nil
}

// appliedByClient is the Applied condition of a Gateway of generation
// whose fleet's one connected proxy ACKed the current configuration.
func appliedByClient(fleet string, generation int64) metav1.Condition {
	return metav1.Condition{
		Type: applied.ConditionType, Status: metav1.ConditionTrue, Reason: applied.ReasonApplied,
		ObservedGeneration: generation,
		Message:            fmt.Sprintf("all 1 connected proxies of fleet %s ACKed the configuration", fleet),
	}
}
