package controllers

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// snapshotKey is the work item of every relevant event but EndpointSlice
// ones (see endpointsKey): a burst of events yields one build.
var snapshotKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: "snapshot"}}

// snapshotReconciler builds and publishes a Resources snapshot (snapshotKey)
// with the endpoints snapshot of the Services it refers to, or the endpoints
// snapshot alone (endpointsKey). Both keys share one queue processed by one
// worker, so the two never build at the same time.
type snapshotReconciler struct {
	reader client.Reader
	// informers is the cache reader reads, whose stores give the routes
	// without copies (see listShared).
	informers cache.Informers
	// slices reads the EndpointSlices of a Service; only the worker uses it.
	slices    *sliceReader
	opts      Options
	log       logr.Logger
	refs      *refGate
	synced    *atomic.Bool
	snapshots *prometheus.CounterVec
	batches   *batchClock

	// endpointsSum is the fingerprint of the endpoints snapshot published
	// last, when endpointsPublished; only the worker uses them.
	endpointsSum       [sha256.Size]byte
	endpointsPublished bool
	// endpointsIR translates the endpoints snapshots, computing again only
	// the Services whose slices changed; only the worker uses it.
	endpointsIR *gatewayapi.EndpointsTranslator
	// endpoints is the endpoints snapshot published last (only the worker
	// uses it), and endpointsChanged the Services whose EndpointSlices had
	// events since it was built.
	endpoints        endpointsState
	endpointsChanged pendingKeys
	// services keeps the referenced Services from build to build.
	services keptServices
	// stable keeps the pointers of unchanged objects from one snapshot to
	// the next; only the worker uses it.
	stable stableObjects
	// routes remembers what each route object attaches to and refers to;
	// only the worker uses it.
	routes routeMemo
	// httpRoutes keeps the HTTPRoutes from build to build, recording the
	// routes with events.
	httpRoutes httpRouteSet
}

func (p *Provider) setupSnapshotController(opts Options) error {
	r := &snapshotReconciler{
		reader:    p.mgr.GetClient(),
		informers: p.mgr.GetCache(),
		slices:    newSliceReader(p.mgr),
		opts:      opts,
		log:       opts.Logger.WithName("snapshot"),
		synced:    &p.synced,
		snapshots: newSnapshotsCounter(),
		batches:   newBatchClock(),
		refs:      newRefGate(),

		endpointsIR: gatewayapi.NewEndpointsTranslator(),
	}
	if opts.Registerer != nil {
		for _, c := range []prometheus.Collector{r.snapshots, r.batches.delay} {
			if err := opts.Registerer.Register(c); err != nil {
				return fmt.Errorf("registering provider metrics: %w", err)
			}
		}
	}
	enqueue := batchingHandler(snapshotKey, opts.BatchDelay, r.batches)
	enqueueEndpoints := recordingHandler(&r.endpointsChanged, endpointSliceServiceKey, predicate.Funcs{},
		batchingHandler(endpointsKey, opts.BatchDelay, r.batches))
	spec := predicate.GenerationChangedPredicate{}
	b := ctrl.NewControllerManagedBy(p.mgr).
		Named("gatewayapi-snapshot").
		WithOptions(controller.Options{NeedLeaderElection: new(false), MaxConcurrentReconciles: 1}).
		Watches(&gwapiv1.GatewayClass{}, enqueue, builder.WithPredicates(spec)).
		Watches(&gwapiv1.Gateway{}, enqueue, builder.WithPredicates(spec)).
		Watches(&gwapiv1.ListenerSet{}, enqueue, builder.WithPredicates(spec)).
		// A status write queues no build; the next build gives the route's
		// new object, and the resource translator takes over its work
		// (httpRouteSet), so the old object is let go then.
		Watches(&gwapiv1.HTTPRoute{}, recordingHandler(&r.httpRoutes.changes, objectKey, spec, enqueue)).
		Watches(&gwapiv1.GRPCRoute{}, enqueue, builder.WithPredicates(spec)).
		Watches(&gwapiv1.TLSRoute{}, enqueue, builder.WithPredicates(spec)).
		Watches(&gwapiv1.TCPRoute{}, enqueue, builder.WithPredicates(spec)).
		Watches(&gwapiv1.ReferenceGrant{}, enqueue, builder.WithPredicates(spec)).
		Watches(&gwapiv1.BackendTLSPolicy{}, enqueue, builder.WithPredicates(spec)).
		Watches(&corev1.ConfigMap{}, enqueue, builder.WithPredicates(r.referenced(serviceKey))).
		Watches(&egv1a1.EnvoyProxy{}, enqueue, builder.WithPredicates(spec)).
		Watches(&egv1a1.RateLimitFilter{}, enqueue, builder.WithPredicates(spec, r.referenced(serviceKey))).
		Watches(&corev1.Namespace{}, enqueue, builder.WithPredicates(namespaceLabelsChanged())).
		Watches(&corev1.Service{}, enqueue, builder.WithPredicates(r.services.recorder(), r.referenced(serviceKey))).
		Watches(&discoveryv1.EndpointSlice{}, enqueueEndpoints,
			builder.WithPredicates(r.referenced(endpointSliceServiceKey))).
		Watches(&corev1.Secret{}, enqueue, builder.WithPredicates(r.referenced(secretKey)))
	if opts.Fleets != nil {
		// The fleets' Deployments and Services: their status is the Gateways' Programmed condition and addresses.
		b = b.Watches(&appsv1.Deployment{}, enqueue, builder.WithPredicates(fleetObjectChanged(opts.Fleets))).
			Watches(&corev1.Service{}, enqueue, builder.WithPredicates(fleetObjectChanged(opts.Fleets)))
	}
	return b.Complete(r)
}

// Reconcile builds snapshots from the informer caches and publishes them:
// for endpointsKey the endpoints snapshot only, otherwise the Resources
// snapshot and the endpoints snapshot of the Services it refers to.
func (r *snapshotReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	r.batches.started(req)
	if req == endpointsKey {
		return reconcile.Result{}, r.reconcileEndpoints(ctx)
	}
	start := time.Now()
	r.refs.startBuild()
	res, refs, err := buildResources(ctx, r.reader, buildOptions{
		controllerName: r.opts.ControllerName,
		fleets:         r.opts.Fleets,
		services:       &r.services,
		informers:      r.informers,
		routes:         &r.routes,
		httpRoutes:     &r.httpRoutes,
	})
	if err != nil {
		r.refs.finishBuild(nil)
		return reconcile.Result{}, fmt.Errorf("building resource snapshot: %w", err)
	}
	r.stable.apply(res, r.httpRoutes.gaveLast)
	rebuild := r.refs.finishBuild(refs)
	// Endpoints first: the translation of res then finds the endpoints of
	// every Service it refers to.
	if err := r.publishEndpoints(ctx, refs.services); err != nil {
		return reconcile.Result{}, err
	}
	r.opts.Resources.Publish(res)
	r.synced.Store(true)
	r.snapshots.WithLabelValues(snapshotResources).Inc()
	r.log.V(1).Info("published resource snapshot",
		"gatewayClasses", len(res.GatewayClasses), "gateways", len(res.Gateways), "listenerSets", len(res.ListenerSets),
		"httpRoutes", len(res.HTTPRoutes), "grpcRoutes", len(res.GRPCRoutes), "tlsRoutes", len(res.TLSRoutes),
		"tcpRoutes", len(res.TCPRoutes),
		"duration", time.Since(start).String())
	if rebuild {
		// An object this snapshot refers to arrived while it was built: build
		// again so that the next snapshot has it (see refGate).
		r.log.V(1).Info("a referenced object arrived during the build; building again")
		return reconcile.Result{RequeueAfter: max(r.opts.BatchDelay, time.Millisecond)}, nil
	}
	return reconcile.Result{}, nil
}

// referenced returns a predicate passing events only for objects the last
// snapshot referenced (by the key keyOf derives from the object).
func (r *snapshotReconciler) referenced(keyOf func(client.Object) (types.NamespacedName, bool)) predicate.Predicate {
	return predicate.NewPredicateFuncs(func(o client.Object) bool {
		key, ok := keyOf(o)
		return ok && r.refs.pass(o, key)
	})
}

func serviceKey(o client.Object) (types.NamespacedName, bool) {
	return client.ObjectKeyFromObject(o), true
}

func secretKey(o client.Object) (types.NamespacedName, bool) {
	return client.ObjectKeyFromObject(o), true
}

func endpointSliceServiceKey(o client.Object) (types.NamespacedName, bool) {
	name, ok := o.GetLabels()[discoveryv1.LabelServiceName]
	if !ok {
		return types.NamespacedName{}, false
	}
	return types.NamespacedName{Namespace: o.GetNamespace(), Name: name}, true
}

// namespaceLabelsChanged passes creations, deletions and label changes: only
// labels matter to route attachment (allowedRoutes selectors).
func namespaceLabelsChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return !mapsEqual(e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels())
		},
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// queue is the controller's work queue.
type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]

// batchingHandler enqueues key after delay for every event; the delaying
// queue keeps one pending item per key, so events within delay coalesce.
// clock records the first event of each batch.
func batchingHandler(key reconcile.Request, delay time.Duration, clock *batchClock) handler.EventHandler {
	add := func(q queue) {
		clock.event(key)
		q.AddAfter(key, delay)
	}
	return handler.Funcs{
		CreateFunc:  func(_ context.Context, _ event.CreateEvent, q queue) { add(q) },
		UpdateFunc:  func(_ context.Context, _ event.UpdateEvent, q queue) { add(q) },
		DeleteFunc:  func(_ context.Context, _ event.DeleteEvent, q queue) { add(q) },
		GenericFunc: func(_ context.Context, _ event.GenericEvent, q queue) { add(q) },
	}
}

// recordingHandler records in changed the keys keyOf gives the objects of
// every event (both objects of an update), then passes the events pred
// accepts to next: a build queued by an event finds its key recorded (one
// handler, in that order), and events that queue no build (an HTTPRoute's
// status write) are recorded for the next one.
func recordingHandler(changed *pendingKeys, keyOf func(client.Object) (types.NamespacedName, bool),
	pred predicate.Predicate, next handler.EventHandler) handler.EventHandler {
	add := func(objects ...client.Object) {
		for _, o := range objects {
			if key, ok := keyOf(o); ok {
				changed.add(key)
			}
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q queue) {
			add(e.Object)
			if pred.Create(e) {
				next.Create(ctx, e, q)
			}
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q queue) {
			add(e.ObjectOld, e.ObjectNew)
			if pred.Update(e) {
				next.Update(ctx, e, q)
			}
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q queue) {
			add(e.Object)
			if pred.Delete(e) {
				next.Delete(ctx, e, q)
			}
		},
		GenericFunc: func(ctx context.Context, e event.GenericEvent, q queue) {
			add(e.Object)
			if pred.Generic(e) {
				next.Generic(ctx, e, q)
			}
		},
	}
}

// objectKey is the key of o (for recordingHandler).
func objectKey(o client.Object) (types.NamespacedName, bool) {
	return client.ObjectKeyFromObject(o), true
}
