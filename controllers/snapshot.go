package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// references are the keys of the Services and Secrets the last snapshot
// needed; events for other Services, EndpointSlices and Secrets are ignored.
// The endpoints snapshot covers exactly these Services.
type references struct {
	services sets.Set[types.NamespacedName]
	secrets  sets.Set[types.NamespacedName]
	// configMaps are the ConfigMaps BackendTLSPolicies and Gateways' spec.tls.frontend name, found or not.
	configMaps sets.Set[types.NamespacedName]
	// rateLimitFilters are the RateLimitFilters the routes name, found or not.
	rateLimitFilters sets.Set[types.NamespacedName]
}

type buildOptions struct {
	controllerName string
	fleets         *FleetOptions
	// services, when set, keeps the referenced Services from one build to
	// the next; otherwise each build gets every one.
	services *keptServices
	// informers, when set, is the informer cache r reads: routes are read
	// from its stores, without a List's copies (see listShared).
	informers cache.Informers
	// routes, when set, remembers what each route object attaches to and
	// refers to from one build to the next.
	routes *routeMemo
	// httpRoutes, when set with routes and an informer store of
	// HTTPRoutes, gives the HTTPRoutes (see httpRouteSet).
	httpRoutes *httpRouteSet
}

// buildResources gathers every object that matters to our GatewayClasses
// from the reader (the informer cache) into a new snapshot. Routes are
// listed without copies (they are many): the snapshot must pass through
// stableObjects.apply, which replaces every object by the copy of an
// earlier snapshot or a new copy, before it is published, so that it
// shares nothing with the cache. The
// EndpointSlices of the referenced Services are not part of it: they go into
// the endpoints snapshot (buildEndpoints).
func buildResources(
	ctx context.Context, r client.Reader, opts buildOptions,
) (*gatewayapi.Resources, *references, error) {
	// The objects are the API server's: an HTTPRoute's new object of the
	// same generation has the same spec.
	res := &gatewayapi.Resources{GenerationTracksSpec: true}
	refs := newReferences()

	classes, err := ourGatewayClasses(ctx, r, opts.controllerName)
	if err != nil {
		return nil, nil, err
	}
	res.GatewayClasses = classes
	if res.EnvoyProxies, err = referencedEnvoyProxies(ctx, r, classes); err != nil {
		return nil, nil, err
	}
	if res.Gateways, err = gatewaysOfClasses(ctx, r, classes); err != nil {
		return nil, nil, err
	}
	ours := ourParents{gateways: sets.New[types.NamespacedName](), listenerSets: sets.New[types.NamespacedName]()}
	for _, gw := range res.Gateways {
		ours.gateways.Insert(client.ObjectKeyFromObject(gw))
		collectCertificateRefs(gw.Namespace, gw.Spec.Listeners, refs.secrets)
		collectFrontendCARefs(gw, refs)
		collectBackendClientCertificateRef(gw, refs.secrets)
	}
	if res.ListenerSets, err = listenerSetsOfGateways(ctx, r, ours.gateways); err != nil {
		return nil, nil, err
	}
	for _, ls := range res.ListenerSets {
		ours.listenerSets.Insert(client.ObjectKeyFromObject(ls))
		collectListenerSetCertificateRefs(ls, refs.secrets)
	}
	opts.routes.begin(ours)
	if err := addAttachedRoutes(ctx, r, opts, ours, res, refs); err != nil {
		return nil, nil, err
	}
	if res.ReferenceGrants, err = listReferenceGrants(ctx, r); err != nil {
		return nil, nil, err
	}
	if res.Namespaces, err = listNamespaces(ctx, r); err != nil {
		return nil, nil, err
	}
	if opts.services != nil {
		if res.Services, err = opts.services.get(ctx, r, opts.informers, refs.services); err != nil {
			return nil, nil, err
		}
	} else if err := addReferencedServices(ctx, r, refs.services, res); err != nil {
		return nil, nil, err
	}
	newSecret := func() *corev1.Secret { return &corev1.Secret{} }
	if res.Secrets, err = getAll(ctx, r, refs.secrets, newSecret); err != nil {
		return nil, nil, err
	}
	if err := addBackendTLSPolicies(ctx, r, res, refs); err != nil {
		return nil, nil, err
	}
	if opts.fleets != nil {
		if res.InfraStates, err = opts.fleets.States(ctx, r); err != nil {
			return nil, nil, fmt.Errorf("reading infra states: %w", err)
		}
	}
	return res, refs, nil
}

// addAttachedRoutes adds the routes of every kind attached to our parents,
// the RateLimitFilters their rules name, and notes the Services they refer to.
func addAttachedRoutes(
	ctx context.Context, r client.Reader, opts buildOptions, ours ourParents, res *gatewayapi.Resources, refs *references,
) error {
	fromSet, err := addHTTPRoutesFromSet(ctx, opts, ours, res)
	if err != nil {
		return err
	}
	if !fromSet {
		if res.HTTPRoutes, err = attachedHTTPRoutes(ctx, r, opts, ours); err != nil {
			return err
		}
	}
	if res.GRPCRoutes, err = attachedGRPCRoutes(ctx, r, opts, ours); err != nil {
		return err
	}
	if res.TLSRoutes, err = attachedTLSRoutes(ctx, r, opts, ours); err != nil {
		return err
	}
	if res.TCPRoutes, err = attachedTCPRoutes(ctx, r, opts, ours); err != nil {
		return err
	}
	// Sized for a Service per route at least: no growing the set (and
	// hashing its keys again) one route at a time.
	n := len(res.HTTPRoutes) + len(res.GRPCRoutes) + len(res.TLSRoutes) + len(res.TCPRoutes)
	if opts.routes == nil && n > len(refs.services) {
		grown := make(sets.Set[types.NamespacedName], n)
		grown.Insert(refs.services.UnsortedList()...)
		refs.services = grown
	}
	if !fromSet { // the set counts its routes' references
		collectHTTPRoutes(res.HTTPRoutes, opts.routes, refs)
	}
	for _, route := range res.GRPCRoutes {
		opts.routes.collect(route, refs, func(services, _ sets.Set[types.NamespacedName]) {
			collectGRPCBackendRefs(route, services)
		})
	}
	for _, route := range res.TLSRoutes {
		opts.routes.collect(route, refs, func(services, _ sets.Set[types.NamespacedName]) {
			collectTLSBackendRefs(route, services)
		})
	}
	for _, route := range res.TCPRoutes {
		opts.routes.collect(route, refs, func(services, _ sets.Set[types.NamespacedName]) {
			for _, rule := range route.Spec.Rules {
				collectBackendRefs(route.Namespace, rule.BackendRefs, services)
			}
		})
	}
	opts.routes.settle(refs)
	res.RateLimitFilters, err = getAll(ctx, r, refs.rateLimitFilters, newRateLimitFilter)
	return err
}

// collectHTTPRoutes notes what routes refer to, through memo (see
// routeMemo.collect).
func collectHTTPRoutes(routes []*gwapiv1.HTTPRoute, memo *routeMemo, refs *references) {
	for _, route := range routes {
		memo.collect(route, refs, func(services, filters sets.Set[types.NamespacedName]) {
			collectHTTPBackendRefs(route, services)
			collectRateLimitFilterRefs(route, filters)
		})
	}
}

// addHTTPRoutesFromSet sets res's HTTPRoutes from opts.httpRoutes when
// the build has one, a route memo and an informer store of HTTPRoutes,
// and reports whether it did.
func addHTTPRoutesFromSet(
	ctx context.Context, opts buildOptions, ours ourParents, res *gatewayapi.Resources,
) (bool, error) {
	if opts.httpRoutes == nil {
		return false, nil
	}
	opts.httpRoutes.gaveLast = false
	if opts.routes == nil {
		return false, nil
	}
	store, err := storeOf(ctx, opts.informers, &gwapiv1.HTTPRoute{})
	if err != nil || store == nil {
		return false, err
	}
	if res.HTTPRoutes, err = opts.httpRoutes.build(store, ours, opts.routes); err != nil {
		return false, err
	}
	opts.httpRoutes.gaveLast = true
	return true, nil
}

func ourGatewayClasses(ctx context.Context, r client.Reader, controllerName string) ([]*gwapiv1.GatewayClass, error) {
	var list gwapiv1.GatewayClassList
	if err := r.List(ctx, &list); err != nil {
		return nil, err
	}
	var out []*gwapiv1.GatewayClass
	for i := range list.Items {
		if string(list.Items[i].Spec.ControllerName) == controllerName {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

func referencedEnvoyProxies(
	ctx context.Context, r client.Reader, classes []*gwapiv1.GatewayClass,
) ([]*egv1a1.EnvoyProxy, error) {
	keys := sets.New[types.NamespacedName]()
	for _, gc := range classes {
		ref := gc.Spec.ParametersRef
		if !isEnvoyProxyRef(ref) {
			continue // the translator reports an invalid reference
		}
		keys.Insert(types.NamespacedName{Namespace: string(*ref.Namespace), Name: ref.Name})
	}
	return getAll[*egv1a1.EnvoyProxy](ctx, r, keys, func() *egv1a1.EnvoyProxy { return &egv1a1.EnvoyProxy{} })
}

// isEnvoyProxyRef reports whether a parametersRef names an EnvoyProxy with a
// namespace; the translator reports any other reference as invalid.
func isEnvoyProxyRef(ref *gwapiv1.ParametersReference) bool {
	return ref != nil && string(ref.Group) == egv1a1.GroupVersion.Group &&
		string(ref.Kind) == egv1a1.KindEnvoyProxy && ref.Namespace != nil
}

func gatewaysOfClasses(
	ctx context.Context, r client.Reader, classes []*gwapiv1.GatewayClass,
) ([]*gwapiv1.Gateway, error) {
	var out []*gwapiv1.Gateway
	for _, gc := range classes {
		var list gwapiv1.GatewayList
		if err := r.List(ctx, &list, client.MatchingFields{gatewayClassIndex: gc.Name}); err != nil {
			return nil, err
		}
		for i := range list.Items {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

// ourParents are the keys of the route parents we serve: our Gateways and
// the ListenerSets that name them.
type ourParents struct {
	gateways     sets.Set[types.NamespacedName]
	listenerSets sets.Set[types.NamespacedName]
}

// refersToParent reports whether a route parentRef names one of our
// Gateways or one of their ListenerSets.
func refersToParent(routeNamespace string, ref gwapiv1.ParentReference, ours ourParents) bool {
	if ref.Group != nil && string(*ref.Group) != gwapiv1.GroupName {
		return false
	}
	key := refKey(routeNamespace, ref.Namespace, ref.Name)
	if ref.Kind != nil && string(*ref.Kind) == "ListenerSet" {
		return ours.listenerSets.Has(key)
	}
	return (ref.Kind == nil || string(*ref.Kind) == "Gateway") && ours.gateways.Has(key)
}

// listenerSetsOfGateways lists the ListenerSets whose parentRef names one of
// our Gateways (allowed or not: the translator reports NotAllowed).
func listenerSetsOfGateways(
	ctx context.Context, r client.Reader, gateways sets.Set[types.NamespacedName],
) ([]*gwapiv1.ListenerSet, error) {
	var list gwapiv1.ListenerSetList
	if err := r.List(ctx, &list); err != nil {
		return nil, err
	}
	var out []*gwapiv1.ListenerSet
	for i := range list.Items {
		ls := &list.Items[i]
		ref := ls.Spec.ParentRef
		if ref.Group != nil && string(*ref.Group) != gwapiv1.GroupName {
			continue
		}
		if ref.Kind != nil && string(*ref.Kind) != "Gateway" {
			continue
		}
		if gateways.Has(refKey(ls.Namespace, ref.Namespace, ref.Name)) {
			out = append(out, ls)
		}
	}
	return out, nil
}

func attachedHTTPRoutes(
	ctx context.Context, r client.Reader, opts buildOptions, ours ourParents,
) ([]*gwapiv1.HTTPRoute, error) {
	var list gwapiv1.HTTPRouteList
	return attachedRoutes(ctx, r, opts, ours, &list, &list.Items,
		func(o *gwapiv1.HTTPRoute) (string, []gwapiv1.ParentReference) { return o.Namespace, o.Spec.ParentRefs })
}

func attachedGRPCRoutes(
	ctx context.Context, r client.Reader, opts buildOptions, ours ourParents,
) ([]*gwapiv1.GRPCRoute, error) {
	var list gwapiv1.GRPCRouteList
	return attachedRoutes(ctx, r, opts, ours, &list, &list.Items,
		func(o *gwapiv1.GRPCRoute) (string, []gwapiv1.ParentReference) { return o.Namespace, o.Spec.ParentRefs })
}

func attachedTLSRoutes(
	ctx context.Context, r client.Reader, opts buildOptions, ours ourParents,
) ([]*gwapiv1.TLSRoute, error) {
	var list gwapiv1.TLSRouteList
	return attachedRoutes(ctx, r, opts, ours, &list, &list.Items,
		func(o *gwapiv1.TLSRoute) (string, []gwapiv1.ParentReference) { return o.Namespace, o.Spec.ParentRefs })
}

func attachedTCPRoutes(
	ctx context.Context, r client.Reader, opts buildOptions, ours ourParents,
) ([]*gwapiv1.TCPRoute, error) {
	var list gwapiv1.TCPRouteList
	return attachedRoutes(ctx, r, opts, ours, &list, &list.Items,
		func(o *gwapiv1.TCPRoute) (string, []gwapiv1.ParentReference) { return o.Namespace, o.Spec.ParentRefs })
}

// attachedRoutes lists the routes of one kind (list, whose items are
// items) and returns those with a parentRef to one of our parents; parents
// gives a route's namespace and parentRefs.
func attachedRoutes[T any, PT interface {
	*T
	client.Object
}](
	ctx context.Context, r client.Reader, opts buildOptions, ours ourParents, list client.ObjectList, items *[]T,
	parents func(PT) (string, []gwapiv1.ParentReference),
) ([]PT, error) {
	// Without copies: the snapshot keeps the routes of the last one, or
	// copies (stableObjects).
	all, err := listShared[T, PT](ctx, r, opts.informers, list, items)
	if err != nil {
		return nil, err
	}
	var out []PT
	for _, route := range all {
		attached := opts.routes.attached(route, func() bool {
			ns, refs := parents(route)
			return slices.ContainsFunc(refs, func(p gwapiv1.ParentReference) bool { return refersToParent(ns, p, ours) })
		})
		if attached {
			out = append(out, route)
		}
	}
	return out, nil
}

// collectCertificateRefs adds the Secrets the listeners of an object in
// namespace ns refer to.
func collectCertificateRefs(ns string, listeners []gwapiv1.Listener, secrets sets.Set[types.NamespacedName]) {
	for _, l := range listeners {
		collectTLSCertificateRefs(ns, l.TLS, secrets)
	}
}

// collectFrontendCARefs adds the ConfigMaps and Secrets that the client
// certificate validation of a Gateway (spec.tls.frontend) takes CAs from.
func collectFrontendCARefs(gw *gwapiv1.Gateway, refs *references) {
	if gw.Spec.TLS == nil || gw.Spec.TLS.Frontend == nil {
		return
	}
	fe := gw.Spec.TLS.Frontend
	validations := []*gwapiv1.FrontendTLSValidation{fe.Default.Validation}
	for i := range fe.PerPort {
		validations = append(validations, fe.PerPort[i].TLS.Validation)
	}
	for _, v := range validations {
		if v == nil {
			continue
		}
		for _, ref := range v.CACertificateRefs {
			key := refKey(gw.Namespace, ref.Namespace, ref.Name)
			switch {
			case ref.Group == "" && ref.Kind == "ConfigMap":
				refs.configMaps.Insert(key)
			case ref.Group == "" && ref.Kind == "Secret":
				refs.secrets.Insert(key)
			}
		}
	}
}

// collectBackendClientCertificateRef adds the Secret a Gateway's proxies
// present to TLS backends (spec.tls.backend.clientCertificateRef).
func collectBackendClientCertificateRef(gw *gwapiv1.Gateway, secrets sets.Set[types.NamespacedName]) {
	if gw.Spec.TLS == nil || gw.Spec.TLS.Backend == nil || gw.Spec.TLS.Backend.ClientCertificateRef == nil {
		return
	}
	collectSecretRef(gw.Namespace, *gw.Spec.TLS.Backend.ClientCertificateRef, secrets)
}

func collectListenerSetCertificateRefs(ls *gwapiv1.ListenerSet, secrets sets.Set[types.NamespacedName]) {
	for _, l := range ls.Spec.Listeners {
		collectTLSCertificateRefs(ls.Namespace, l.TLS, secrets)
	}
}

func collectTLSCertificateRefs(ns string, tls *gwapiv1.ListenerTLSConfig, secrets sets.Set[types.NamespacedName]) {
	if tls == nil {
		return
	}
	for _, ref := range tls.CertificateRefs {
		collectSecretRef(ns, ref, secrets)
	}
}

// refKey is the object a reference from an object in namespace from names:
// in namespace ns when set, otherwise in from (the API's rule for every
// reference kind here; it admits no empty namespace).
func refKey(from string, ns *gwapiv1.Namespace, name gwapiv1.ObjectName) types.NamespacedName {
	if ns != nil && *ns != "" {
		from = string(*ns)
	}
	return types.NamespacedName{Namespace: from, Name: string(name)}
}

// collectSecretRef adds the Secret ref names, from an object in namespace
// ns; references to other kinds are ignored.
func collectSecretRef(ns string, ref gwapiv1.SecretObjectReference, secrets sets.Set[types.NamespacedName]) {
	if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
		return
	}
	secrets.Insert(refKey(ns, ref.Namespace, ref.Name))
}

func insertServiceRef(
	routeNamespace string, ref gwapiv1.BackendObjectReference, services sets.Set[types.NamespacedName],
) {
	if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Service") {
		return
	}
	services.Insert(refKey(routeNamespace, ref.Namespace, ref.Name))
}

func collectHTTPBackendRefs(route *gwapiv1.HTTPRoute, services sets.Set[types.NamespacedName]) {
	for _, rule := range route.Spec.Rules {
		for _, b := range rule.BackendRefs {
			insertServiceRef(route.Namespace, b.BackendObjectReference, services)
			collectMirrorRefs(route.Namespace, b.Filters, services)
		}
		collectMirrorRefs(route.Namespace, rule.Filters, services)
	}
}

func collectGRPCBackendRefs(route *gwapiv1.GRPCRoute, services sets.Set[types.NamespacedName]) {
	mirrors := func(filters []gwapiv1.GRPCRouteFilter) {
		for _, f := range filters {
			if f.RequestMirror != nil {
				insertServiceRef(route.Namespace, f.RequestMirror.BackendRef, services)
			}
		}
	}
	for _, rule := range route.Spec.Rules {
		for _, b := range rule.BackendRefs {
			insertServiceRef(route.Namespace, b.BackendObjectReference, services)
			mirrors(b.Filters)
		}
		mirrors(rule.Filters)
	}
}

func collectMirrorRefs(ns string, filters []gwapiv1.HTTPRouteFilter, services sets.Set[types.NamespacedName]) {
	for _, f := range filters {
		if f.RequestMirror != nil {
			insertServiceRef(ns, f.RequestMirror.BackendRef, services)
		}
	}
}

func collectTLSBackendRefs(route *gwapiv1.TLSRoute, services sets.Set[types.NamespacedName]) {
	for _, rule := range route.Spec.Rules {
		for _, b := range rule.BackendRefs {
			insertServiceRef(route.Namespace, b.BackendObjectReference, services)
		}
	}
}

// collectBackendRefs adds the Services that backendRefs of a route in
// namespace ns refer to.
func collectBackendRefs(ns string, refs []gwapiv1.BackendRef, services sets.Set[types.NamespacedName]) {
	for _, b := range refs {
		insertServiceRef(ns, b.BackendObjectReference, services)
	}
}

// addReferencedServices adds the referenced Services that exist.
func addReferencedServices(
	ctx context.Context, r client.Reader, keys sets.Set[types.NamespacedName], res *gatewayapi.Resources,
) error {
	svcs, err := getAll[*corev1.Service](ctx, r, keys, func() *corev1.Service { return &corev1.Service{} })
	if err != nil {
		return err
	}
	res.Services = svcs
	return nil
}

// sortedKeys returns keys sorted by namespace, then name.
func sortedKeys(keys sets.Set[types.NamespacedName]) []types.NamespacedName {
	sorted := keys.UnsortedList()
	slices.SortFunc(sorted, func(a, b types.NamespacedName) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return sorted
}

// getAll gets every key that exists, in sorted key order; missing objects are skipped.
func getAll[T client.Object](
	ctx context.Context, r client.Reader, keys sets.Set[types.NamespacedName], newObj func() T,
) ([]T, error) {
	var out []T
	for _, key := range sortedKeys(keys) {
		obj := newObj()
		if err := r.Get(ctx, key, obj); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}

func listReferenceGrants(ctx context.Context, r client.Reader) ([]*gwapiv1.ReferenceGrant, error) {
	var list gwapiv1.ReferenceGrantList
	if err := r.List(ctx, &list); err != nil {
		return nil, err
	}
	out := make([]*gwapiv1.ReferenceGrant, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	return out, nil
}

func listNamespaces(ctx context.Context, r client.Reader) ([]*corev1.Namespace, error) {
	var list corev1.NamespaceList
	if err := r.List(ctx, &list); err != nil {
		return nil, err
	}
	out := make([]*corev1.Namespace, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	return out, nil
}
