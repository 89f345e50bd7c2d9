package controllers

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

var statusWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "envoy_gateway_status_writes_total",
	Help: "Status subresource writes by kind and result (written, conflict_retried, error).",
}, []string{"kind", "result"})

func init() {
	ctrlmetrics.Registry.MustRegister(statusWrites)
}

// statusWriter writes the translator's statuses through the status
// subresource. It is leader-only work (see Provider.LeaderWork): it writes
// only what changed, and retries on conflicts with a fresh read from the API
// server.
type statusWriter struct {
	cache    client.Client
	api      client.Reader
	recorder recorder.EventRecorder
	opts     Options
	log      logr.Logger
	now      func() metav1.Time
	// mu makes write rounds (new results, Applied changes) run one at a time.
	mu sync.Mutex
}

func newStatusWriter(c client.Client, api client.Reader, rec recorder.EventRecorder, opts Options) *statusWriter {
	return &statusWriter{
		cache:    c,
		api:      api,
		recorder: rec,
		opts:     opts,
		log:      opts.Logger.WithName("status"),
		now:      func() metav1.Time { return metav1.NewTime(time.Now().Truncate(time.Second)) },
	}
}

// Name implements runner.Runner.
func (w *statusWriter) Name() string { return "status-writer" }

// Start writes statuses for every result until ctx is done.
func (w *statusWriter) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	if w.opts.Applied != nil {
		wg.Go(func() { w.followApplied(ctx) })
	}
	w.opts.Results.Subscribe(ctx, func(res *gatewayapi.Result) { w.write(ctx, res) },
		func(err error) { w.log.Error(err, "status writer recovered from a panic") })
	wg.Wait()
	return nil
}

func (w *statusWriter) write(ctx context.Context, res *gatewayapi.Result) {
	if res == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	report := w.appliedReport(res)
	now := w.now()
	for _, s := range res.Statuses.GatewayClasses {
		gc := &gwapiv1.GatewayClass{}
		var before []metav1.Condition
		if w.update(ctx, "GatewayClass", key(s.ObjectKey), gc, func(client.Object) bool {
			before = slices.Clone(gc.Status.Conditions)
			var changed bool
			gc.Status, changed = mergeGatewayClassStatus(gc.Status, s.Status, now)
			return changed
		}) {
			recordAcceptedTransition(w.recorder, gc, before, gc.Status.Conditions)
		}
	}
	for _, s := range res.Statuses.EnvoyProxies {
		ep := &egv1a1.EnvoyProxy{}
		var before []metav1.Condition
		if w.update(ctx, "EnvoyProxy", key(s.ObjectKey), ep, func(client.Object) bool {
			before = slices.Clone(ep.Status.Conditions)
			var changed bool
			ep.Status, changed = mergeEnvoyProxyStatus(ep.Status, s.Status, now)
			return changed
		}) {
			recordAcceptedTransition(w.recorder, ep, before, ep.Status.Conditions)
		}
	}
	for _, s := range res.Statuses.Gateways {
		w.update(ctx, "Gateway", key(s.ObjectKey), &gwapiv1.Gateway{}, func(o client.Object) bool {
			gw := o.(*gwapiv1.Gateway)
			var changed bool
			gw.Status, changed = mergeGatewayStatus(gw.Status, report.GatewayStatus(s, gw.Status.Conditions), now)
			return changed
		})
	}
	for _, s := range res.Statuses.ListenerSets {
		w.update(ctx, "ListenerSet", key(s.ObjectKey), &gwapiv1.ListenerSet{}, func(o client.Object) bool {
			ls := o.(*gwapiv1.ListenerSet)
			var changed bool
			ls.Status, changed = mergeListenerSetStatus(ls.Status, report.ListenerSetStatus(s, ls.Status.Conditions), now)
			return changed
		})
	}
	w.writeRoutes(ctx, httpRouteKind, res.Statuses.HTTPRoutes, report, now)
	w.writeRoutes(ctx, grpcRouteKind, res.Statuses.GRPCRoutes, report, now)
	w.writeRoutes(ctx, tlsRouteKind, res.Statuses.TLSRoutes, report, now)
	w.writeRoutes(ctx, tcpRouteKind, res.Statuses.TCPRoutes, report, now)
	w.writeBackendTLSPolicies(ctx, res.Statuses.BackendTLSPolicies, now)
}

// routeKind says how to read and write the parent statuses of one route kind.
type routeKind struct {
	name      string
	newList   func() client.ObjectList
	newObject func() client.Object
	// parents points at the parent statuses of a route of the kind.
	parents func(client.Object) *[]gwapiv1.RouteParentStatus
}

var httpRouteKind = routeKind{
	name:      "HTTPRoute",
	newList:   func() client.ObjectList { return &gwapiv1.HTTPRouteList{} },
	newObject: func() client.Object { return &gwapiv1.HTTPRoute{} },
	parents:   func(o client.Object) *[]gwapiv1.RouteParentStatus { return &o.(*gwapiv1.HTTPRoute).Status.Parents },
}

var grpcRouteKind = routeKind{
	name:      "GRPCRoute",
	newList:   func() client.ObjectList { return &gwapiv1.GRPCRouteList{} },
	newObject: func() client.Object { return &gwapiv1.GRPCRoute{} },
	parents:   func(o client.Object) *[]gwapiv1.RouteParentStatus { return &o.(*gwapiv1.GRPCRoute).Status.Parents },
}

var tlsRouteKind = routeKind{
	name:      "TLSRoute",
	newList:   func() client.ObjectList { return &gwapiv1.TLSRouteList{} },
	newObject: func() client.Object { return &gwapiv1.TLSRoute{} },
	parents:   func(o client.Object) *[]gwapiv1.RouteParentStatus { return &o.(*gwapiv1.TLSRoute).Status.Parents },
}

var tcpRouteKind = routeKind{
	name:      "TCPRoute",
	newList:   func() client.ObjectList { return &gwapiv1.TCPRouteList{} },
	newObject: func() client.Object { return &gwapiv1.TCPRoute{} },
	parents:   func(o client.Object) *[]gwapiv1.RouteParentStatus { return &o.(*gwapiv1.TCPRoute).Status.Parents },
}

// stored lists every route of the kind with its stored parent statuses.
func (k routeKind) stored(
	ctx context.Context, r client.Reader,
) (map[types.NamespacedName][]gwapiv1.RouteParentStatus, error) {
	list := k.newList()
	if err := r.List(ctx, list); err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := make(map[types.NamespacedName][]gwapiv1.RouteParentStatus, len(items))
	for _, item := range items {
		o := item.(client.Object)
		out[client.ObjectKeyFromObject(o)] = *k.parents(o)
	}
	return out, nil
}

// writeRoutes writes our parent entries of every route of a kind, and removes
// them from routes that are no longer attached to any of our Gateways.
func (w *statusWriter) writeRoutes(
	ctx context.Context, kind routeKind, statuses []gatewayapi.RouteStatus, report *applied.Report, now metav1.Time,
) {
	desired := make(map[types.NamespacedName][]gwapiv1.RouteParentStatus, len(statuses))
	for _, s := range statuses {
		desired[key(s.ObjectKey)] = report.RouteParents(kind.name, s)
	}
	stored, err := kind.stored(ctx, w.cache)
	if err != nil {
		w.log.Error(err, "listing routes for status", "kind", kind.name)
		return
	}
	for k, storedParents := range stored {
		parents, ok := desired[k]
		if !ok && !hasParentsOf(storedParents, w.opts.ControllerName) {
			continue
		}
		w.update(ctx, kind.name, k, kind.newObject(), func(o client.Object) bool {
			p := kind.parents(o)
			var changed bool
			*p, changed = mergeRouteParents(*p, parents, w.opts.ControllerName, now)
			return changed
		})
	}
}

// update reads obj (from the cache first, from the API server after a
// conflict), lets mutate change its status, and writes it if mutate says it
// changed. It reports whether it wrote the status.
func (w *statusWriter) update(
	ctx context.Context, kind string, k types.NamespacedName, obj client.Object, mutate func(client.Object) bool,
) (written bool) {
	var reader client.Reader = w.cache
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		written = false
		if err := reader.Get(ctx, k, obj); err != nil {
			return err
		}
		if !mutate(obj) {
			return nil
		}
		err := w.cache.Status().Update(ctx, obj)
		written = err == nil
		if apierrors.IsConflict(err) {
			statusWrites.WithLabelValues(kind, "conflict_retried").Inc()
			reader = w.api
		} else if err == nil {
			statusWrites.WithLabelValues(kind, "written").Inc()
			w.log.V(1).Info("status written", "kind", kind, "object", k.String())
		}
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		statusWrites.WithLabelValues(kind, "error").Inc()
		if ctx.Err() != nil {
			// Shutdown (or the end of the leader's term) cut the write short:
			// the next leader writes it; not an error.
			w.log.V(1).Info("status write cut short", "kind", kind, "object", k.String(), "reason", err.Error())
			return written
		}
		w.log.Error(err, "writing status", "kind", kind, "object", k.String())
	}
	return written
}

func key(k gatewayapi.ObjectKey) types.NamespacedName {
	return types.NamespacedName{Namespace: k.Namespace, Name: k.Name}
}
