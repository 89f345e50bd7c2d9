package controllers

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
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
// subresource. It runs only on the leader, writes only what changed, and
// retries on conflicts with a fresh read from the API server.
type statusWriter struct {
	cache client.Client
	api   client.Reader
	opts  Options
	log   logr.Logger
	now   func() metav1.Time
}

func newStatusWriter(c client.Client, api client.Reader, opts Options) *statusWriter {
	return &statusWriter{
		cache: c,
		api:   api,
		opts:  opts,
		log:   opts.Logger.WithName("status"),
		now:   func() metav1.Time { return metav1.NewTime(time.Now().Truncate(time.Second)) },
	}
}

// NeedLeaderElection makes the writer run on the leader only.
func (w *statusWriter) NeedLeaderElection() bool { return true }

// Start writes statuses for every result until ctx is done.
func (w *statusWriter) Start(ctx context.Context) error {
	w.opts.Results.Subscribe(ctx, func(res *gatewayapi.Result) { w.write(ctx, res) },
		func(err error) { w.log.Error(err, "status writer recovered from a panic") })
	return nil
}

func (w *statusWriter) write(ctx context.Context, res *gatewayapi.Result) {
	if res == nil {
		return
	}
	now := w.now()
	for _, s := range res.Statuses.GatewayClasses {
		w.update(ctx, "GatewayClass", key(s.ObjectKey), &gwapiv1.GatewayClass{}, func(o client.Object) bool {
			gc := o.(*gwapiv1.GatewayClass)
			var changed bool
			gc.Status, changed = mergeGatewayClassStatus(gc.Status, s.Status, now)
			return changed
		})
	}
	for _, s := range res.Statuses.EnvoyProxies {
		w.update(ctx, "EnvoyProxy", key(s.ObjectKey), &egv1a1.EnvoyProxy{}, func(o client.Object) bool {
			ep := o.(*egv1a1.EnvoyProxy)
			var changed bool
			ep.Status, changed = mergeEnvoyProxyStatus(ep.Status, s.Status, now)
			return changed
		})
	}
	for _, s := range res.Statuses.Gateways {
		w.update(ctx, "Gateway", key(s.ObjectKey), &gwapiv1.Gateway{}, func(o client.Object) bool {
			gw := o.(*gwapiv1.Gateway)
			var changed bool
			gw.Status, changed = mergeGatewayStatus(gw.Status, s.Status, now)
			return changed
		})
	}
	for _, s := range res.Statuses.ListenerSets {
		w.update(ctx, "ListenerSet", key(s.ObjectKey), &gwapiv1.ListenerSet{}, func(o client.Object) bool {
			ls := o.(*gwapiv1.ListenerSet)
			var changed bool
			ls.Status, changed = mergeListenerSetStatus(ls.Status, s.Status, now)
			return changed
		})
	}
	w.writeHTTPRoutes(ctx, res.Statuses.HTTPRoutes, now)
	w.writeTLSRoutes(ctx, res.Statuses.TLSRoutes, now)
}

// writeHTTPRoutes writes our parent entries, and removes them from routes
// that are no longer attached to any of our Gateways.
func (w *statusWriter) writeHTTPRoutes(ctx context.Context, statuses []gatewayapi.RouteStatus, now metav1.Time) {
	desired := make(map[types.NamespacedName][]gwapiv1.RouteParentStatus, len(statuses))
	for _, s := range statuses {
		desired[key(s.ObjectKey)] = s.Parents
	}
	var list gwapiv1.HTTPRouteList
	if err := w.cache.List(ctx, &list); err != nil {
		w.log.Error(err, "listing HTTPRoutes for status")
		return
	}
	for i := range list.Items {
		k := client.ObjectKeyFromObject(&list.Items[i])
		parents, ok := desired[k]
		if !ok && !hasParentsOf(list.Items[i].Status.Parents, w.opts.ControllerName) {
			continue
		}
		w.update(ctx, "HTTPRoute", k, &gwapiv1.HTTPRoute{}, func(o client.Object) bool {
			r := o.(*gwapiv1.HTTPRoute)
			var changed bool
			r.Status.Parents, changed = mergeRouteParents(r.Status.Parents, parents, w.opts.ControllerName, now)
			return changed
		})
	}
}

// writeTLSRoutes is writeHTTPRoutes for TLSRoutes.
func (w *statusWriter) writeTLSRoutes(ctx context.Context, statuses []gatewayapi.RouteStatus, now metav1.Time) {
	desired := make(map[types.NamespacedName][]gwapiv1.RouteParentStatus, len(statuses))
	for _, s := range statuses {
		desired[key(s.ObjectKey)] = s.Parents
	}
	var list gwapiv1.TLSRouteList
	if err := w.cache.List(ctx, &list); err != nil {
		w.log.Error(err, "listing TLSRoutes for status")
		return
	}
	for i := range list.Items {
		k := client.ObjectKeyFromObject(&list.Items[i])
		parents, ok := desired[k]
		if !ok && !hasParentsOf(list.Items[i].Status.Parents, w.opts.ControllerName) {
			continue
		}
		w.update(ctx, "TLSRoute", k, &gwapiv1.TLSRoute{}, func(o client.Object) bool {
			r := o.(*gwapiv1.TLSRoute)
			var changed bool
			r.Status.Parents, changed = mergeRouteParents(r.Status.Parents, parents, w.opts.ControllerName, now)
			return changed
		})
	}
}

// update reads obj (from the cache first, from the API server after a
// conflict), lets mutate change its status, and writes it if mutate says it changed.
func (w *statusWriter) update(ctx context.Context, kind string, k types.NamespacedName, obj client.Object, mutate func(client.Object) bool) {
	var reader client.Reader = w.cache
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := reader.Get(ctx, k, obj); err != nil {
			return err
		}
		if !mutate(obj) {
			return nil
		}
		err := w.cache.Status().Update(ctx, obj)
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
		w.log.Error(err, "writing status", "kind", kind, "object", k.String())
	}
}

func key(k gatewayapi.ObjectKey) types.NamespacedName {
	return types.NamespacedName{Namespace: k.Namespace, Name: k.Name}
}
