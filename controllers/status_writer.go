package controllers

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// newStatusWritesCounter counts status subresource writes by kind and result.
func newStatusWritesCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "envoy_gateway_status_writes_total",
		Help: "Status subresource writes by kind and result (written, conflict_retried, error).",
	}, []string{"kind", "result"})
}

// statusWriter writes the translator's statuses through the status
// subresource. It is leader-only work (see Provider.LeaderWork): it writes
// only what changed, and retries on conflicts with a fresh read from the API
// server.
type statusWriter struct {
	cache client.Client
	// informers, when set, is the informer cache that cache reads: routes
	// are read from its stores, without a List's copies (see listShared).
	informers cache.Informers
	api       client.Reader
	recorder  recorder.EventRecorder
	opts      Options
	log       logr.Logger
	now       func() metav1.Time
	// writes counts the writes (envoy_gateway_status_writes_total).
	writes *prometheus.CounterVec
	// mu makes write rounds (new results, Applied changes) run one at a time.
	mu sync.Mutex
	// routesDone is the result whose route and BackendTLSPolicy statuses
	// the last round wrote or found stored, without errors and with no
	// route rejected by a proxy; roundFailed says a write of the current
	// round failed. Both are guarded by mu.
	routesDone  *gatewayapi.Result
	roundFailed bool
	// desired is writeRoutes' map of the desired parents of each route,
	// emptied and filled again by each call (guarded by mu): a map of
	// 10,000 routes made anew per round cost more than filling it.
	desired map[types.NamespacedName][]gwapiv1.RouteParentStatus
	// events, while the writer runs with an informer cache, are the
	// routes with informer events since the last round took them (set by
	// Start, guarded by mu): a round after routesDone looks only at the
	// routes whose status changed since and at those.
	events *routeEvents
	// pushWaitSince is when the first round that waits for the proxies
	// (waitForPush) found them taking the configuration, zero when the
	// last round did not wait, and pushTimer the timer that round armed;
	// pushWait is maxPushWait but in tests, and clock time.Now.
	// pushWaitSince and pushTimer are guarded by mu.
	pushWaitSince time.Time
	pushTimer     *time.Timer
	pushWait      time.Duration
	clock         func() time.Time
}

// newStatusWriter builds the status writer and registers its metrics with
// opts.Registerer (when set).
func newStatusWriter(
	c client.Client, api client.Reader, rec recorder.EventRecorder, opts Options,
) (*statusWriter, error) {
	w := &statusWriter{
		cache:    c,
		api:      api,
		recorder: rec,
		opts:     opts,
		log:      opts.Logger.WithName("status"),
		now:      func() metav1.Time { return metav1.NewTime(time.Now().Truncate(time.Second)) },
		writes:   newStatusWritesCounter(),
		pushWait: maxPushWait,
		clock:    time.Now,
	}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(w.writes); err != nil {
			return nil, fmt.Errorf("registering status writer metrics: %w", err)
		}
	}
	return w, nil
}

// Name implements runner.Runner.
func (w *statusWriter) Name() string { return "status-writer" }

// Start writes statuses for every result until ctx is done. The first
// round of each start (a leader term) looks at every route: another leader
// may have written statuses since this one last did.
func (w *statusWriter) Start(ctx context.Context) error {
	w.mu.Lock()
	w.routesDone = nil
	if w.informers != nil {
		events, err := watchRouteEvents(ctx, w.informers)
		if err != nil {
			// Every round looks at every route then, as without a cache.
			w.log.Error(err, "route events unavailable: each status round reads every route")
		}
		w.events = events
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.events != nil {
			w.events.stop()
			w.events = nil
		}
	}()
	var wg sync.WaitGroup
	if w.opts.Applied != nil {
		wg.Go(func() { w.followApplied(ctx) })
	}
	w.opts.Results.Subscribe(ctx, func(res *gatewayapi.Result) { w.write(ctx, res) },
		func(err error) { w.log.Error(err, "status writer recovered from a panic") })
	wg.Wait()
	return nil
}

// write runs one write round. Rounds are triggered by new results and by
// Applied changes and may wait for each other: each writes the latest
// result published when it starts (res only when none is loaded), so a
// round never writes an older result's statuses over a newer one's.
func (w *statusWriter) write(ctx context.Context, res *gatewayapi.Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if latest, _ := w.opts.Results.Load(); latest != nil {
		res = latest
	}
	if res == nil {
		return
	}
	report := w.appliedReport(res)
	if w.waitForPush(ctx, report) {
		return
	}
	now, st := w.now(), &res.Statuses
	writeKind(ctx, w, st.GatewayClasses, func(o *gwapiv1.GatewayClass, s gatewayapi.GatewayClassStatus) bool {
		return mergeInto(&o.Status, s.Status, now, mergeGatewayClassStatus)
	}, func(o *gwapiv1.GatewayClass) []metav1.Condition { return o.Status.Conditions })
	writeKind(ctx, w, st.EnvoyProxies, func(o *egv1a1.EnvoyProxy, s gatewayapi.EnvoyProxyStatus) bool {
		return mergeInto(&o.Status, s.Status, now, mergeEnvoyProxyStatus)
	}, func(o *egv1a1.EnvoyProxy) []metav1.Condition { return o.Status.Conditions })
	writeKind(ctx, w, st.Gateways, func(o *gwapiv1.Gateway, s gatewayapi.GatewayStatus) bool {
		return mergeInto(&o.Status, report.GatewayStatus(s, o.Status.Conditions), now, mergeGatewayStatus)
	}, nil)
	writeKind(ctx, w, st.ListenerSets, func(o *gwapiv1.ListenerSet, s gatewayapi.ListenerSetStatus) bool {
		return mergeInto(&o.Status, report.ListenerSetStatus(s, o.Status.Conditions), now, mergeListenerSetStatus)
	}, nil)
	// Route and policy statuses depend on the result alone while no proxy
	// rejects a route: a round for the result the last round wrote them
	// for (an Applied change: proxies ACKed) skips them, rather than
	// comparing every route's stored status again. A status someone else
	// changes is corrected by the next result's round.
	if res == w.routesDone && !report.RejectsRoutes() {
		return
	}
	// After a round that wrote every route status of routesDone, and with
	// no route rejected (whose statuses the report changes), a route whose
	// status did not change and whose object had no event since has the
	// stored status it should have.
	var events map[string]sets.Set[types.NamespacedName]
	if w.events != nil {
		events = w.events.take()
	}
	done := w.routesDone
	if events == nil || report.RejectsRoutes() {
		done = nil
	}
	w.roundFailed = false
	for _, kind := range routeKinds {
		if done != nil {
			w.writeChangedRoutes(ctx, kind, kind.statuses(&done.Statuses), kind.statuses(st), events[kind.name], report, now)
		} else {
			w.writeRoutes(ctx, kind, kind.statuses(st), report, now)
		}
	}
	w.writeBackendTLSPolicies(ctx, st.BackendTLSPolicies, now)
	w.routesDone = nil
	if !w.roundFailed && !report.RejectsRoutes() {
		w.routesDone = res
	}
}

// routeKind says how to read and write the parent statuses of one route kind.
type routeKind struct {
	name string
	// list returns every route of the kind, without copies (listShared).
	list      func(ctx context.Context, r client.Reader, informers cache.Informers) ([]client.Object, error)
	newObject func() client.Object
	// parents points at the parent statuses of a route of the kind.
	parents func(client.Object) *[]gwapiv1.RouteParentStatus
	// statuses are the computed statuses of the kind's routes.
	statuses func(*gatewayapi.Statuses) gatewayapi.RouteStatuses
}

var httpRouteKind = routeKind{
	name:      "HTTPRoute",
	list:      listRoutes[gwapiv1.HTTPRoute](func(l *gwapiv1.HTTPRouteList) *[]gwapiv1.HTTPRoute { return &l.Items }),
	newObject: func() client.Object { return &gwapiv1.HTTPRoute{} },
	parents:   func(o client.Object) *[]gwapiv1.RouteParentStatus { return &o.(*gwapiv1.HTTPRoute).Status.Parents },
	statuses:  func(s *gatewayapi.Statuses) gatewayapi.RouteStatuses { return s.HTTPRoutes },
}

var grpcRouteKind = routeKind{
	name:      "GRPCRoute",
	list:      listRoutes[gwapiv1.GRPCRoute](func(l *gwapiv1.GRPCRouteList) *[]gwapiv1.GRPCRoute { return &l.Items }),
	newObject: func() client.Object { return &gwapiv1.GRPCRoute{} },
	parents:   func(o client.Object) *[]gwapiv1.RouteParentStatus { return &o.(*gwapiv1.GRPCRoute).Status.Parents },
	statuses:  func(s *gatewayapi.Statuses) gatewayapi.RouteStatuses { return s.GRPCRoutes },
}

var tlsRouteKind = routeKind{
	name:      "TLSRoute",
	list:      listRoutes[gwapiv1.TLSRoute](func(l *gwapiv1.TLSRouteList) *[]gwapiv1.TLSRoute { return &l.Items }),
	newObject: func() client.Object { return &gwapiv1.TLSRoute{} },
	parents:   func(o client.Object) *[]gwapiv1.RouteParentStatus { return &o.(*gwapiv1.TLSRoute).Status.Parents },
	statuses:  func(s *gatewayapi.Statuses) gatewayapi.RouteStatuses { return s.TLSRoutes },
}

var tcpRouteKind = routeKind{
	name:      "TCPRoute",
	list:      listRoutes[gwapiv1.TCPRoute](func(l *gwapiv1.TCPRouteList) *[]gwapiv1.TCPRoute { return &l.Items }),
	newObject: func() client.Object { return &gwapiv1.TCPRoute{} },
	parents:   func(o client.Object) *[]gwapiv1.RouteParentStatus { return &o.(*gwapiv1.TCPRoute).Status.Parents },
	statuses:  func(s *gatewayapi.Statuses) gatewayapi.RouteStatuses { return s.TCPRoutes },
}

// listRoutes returns a routeKind's list for the route type T, whose list
// type is L (items gives its items).
func listRoutes[T any, L any, PT interface {
	*T
	client.Object
}, PL interface {
	*L
	client.ObjectList
}](items func(*L) *[]T) func(context.Context, client.Reader, cache.Informers) ([]client.Object, error) {
	return func(ctx context.Context, r client.Reader, informers cache.Informers) ([]client.Object, error) {
		list := PL(new(L))
		objs, err := listShared[T, PT](ctx, r, informers, list, items(list))
		if err != nil {
			return nil, err
		}
		out := make([]client.Object, len(objs))
		for i, o := range objs {
			out[i] = o
		}
		return out, nil
	}
}

// cloneParents is a deep copy of a route's parent statuses.
func cloneParents(in []gwapiv1.RouteParentStatus) []gwapiv1.RouteParentStatus {
	out := make([]gwapiv1.RouteParentStatus, len(in))
	for i := range in {
		in[i].DeepCopyInto(&out[i])
	}
	return out
}

// writeRoutes writes our parent entries of every route of a kind, and removes
// them from routes that are no longer attached to any of our Gateways.
func (w *statusWriter) writeRoutes(
	ctx context.Context, kind routeKind, statuses gatewayapi.RouteStatuses, report *applied.Report, now metav1.Time,
) {
	if w.desired == nil {
		w.desired = make(map[types.NamespacedName][]gwapiv1.RouteParentStatus, statuses.Len())
	}
	desired := w.desired
	clear(desired)
	for _, s := range statuses.All() {
		desired[key(s.ObjectKey)] = report.RouteParents(kind.name, s)
	}
	// The stored routes, read-only: shared with the cache.
	objs, err := kind.list(ctx, w.cache, w.informers)
	if err != nil {
		w.roundFailed = true
		w.log.Error(err, "listing routes for status", "kind", kind.name)
		return
	}
	for _, o := range objs {
		k := client.ObjectKeyFromObject(o)
		parents, ok := desired[k]
		w.writeRouteParents(ctx, kind, k, *kind.parents(o), parents, ok, now)
	}
}

// writeChangedRoutes is writeRoutes after a round that wrote every route
// status of a result whose statuses were prev (no route rejected by a
// proxy then or now): it looks only at the routes whose status changed
// since and at those with events (the stored object changed).
func (w *statusWriter) writeChangedRoutes(
	ctx context.Context, kind routeKind, prev, statuses gatewayapi.RouteStatuses,
	events sets.Set[types.NamespacedName], report *applied.Report, now metav1.Time,
) {
	read := w.routeReader(ctx, kind)
	for _, k := range routesToCheck(prev, statuses, events) {
		o, found, err := read(k)
		if err != nil {
			w.roundFailed = true
			w.log.Error(err, "reading route for status", "kind", kind.name, "object", k.String())
			continue
		}
		if !found {
			continue
		}
		s, ok := routeStatusOf(statuses, k)
		w.writeRouteParents(ctx, kind, k, *kind.parents(o), report.RouteParents(kind.name, s), ok, now)
	}
}

// writeRouteParents writes the route k's parent statuses of ours
// (parents, when desired; none otherwise) over those stored, if they
// differ.
func (w *statusWriter) writeRouteParents(
	ctx context.Context, kind routeKind, k types.NamespacedName,
	storedParents, parents []gwapiv1.RouteParentStatus, desired bool, now metav1.Time,
) {
	if !desired && !hasParentsOf(storedParents, w.opts.ControllerName) {
		return
	}
	// Most routes are unchanged: find that out on the cached parents,
	// first without copying anything, then on a clone, rather than
	// reading and copying the whole route.
	if sameRouteParents(storedParents, parents, w.opts.ControllerName) {
		return
	}
	if _, changed := mergeRouteParents(cloneParents(storedParents), parents, w.opts.ControllerName, now); !changed {
		return
	}
	w.update(ctx, kind.name, k, kind.newObject(), func(o client.Object) bool {
		p := kind.parents(o)
		var changed bool
		*p, changed = mergeRouteParents(*p, parents, w.opts.ControllerName, now)
		return changed
	})
}

// writeKind updates the stored status of the object of every status of one
// kind with merge, which reports whether it changed the object. T is the
// object's struct type, whose name is the kind. When conditions is not
// nil (it reads an object's conditions), a write that turns the Accepted
// condition records an event (recordAcceptedTransition).
func writeKind[S gatewayapi.KeyedStatus, T any, PT interface {
	*T
	client.Object
}](ctx context.Context, w *statusWriter, statuses []S, merge func(PT, S) bool, conditions func(PT) []metav1.Condition) {
	kind := reflect.TypeFor[T]().Name()
	for _, s := range statuses {
		obj := PT(new(T))
		var before []metav1.Condition
		written := w.update(ctx, kind, key(s.Key()), obj, func(client.Object) bool {
			if conditions != nil {
				before = slices.Clone(conditions(obj))
			}
			return merge(obj, s)
		})
		if written && conditions != nil {
			recordAcceptedTransition(w.recorder, obj, before, conditions(obj))
		}
	}
}

// mergeInto sets *stored to the merge of *stored and desired and reports
// whether that changed it.
func mergeInto[X any](
	stored *X, desired X, now metav1.Time, merge func(existing, desired X, now metav1.Time) (X, bool),
) bool {
	var changed bool
	*stored, changed = merge(*stored, desired, now)
	return changed
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
			w.writes.WithLabelValues(kind, "conflict_retried").Inc()
			reader = w.api
		} else if err == nil {
			w.writes.WithLabelValues(kind, "written").Inc()
			w.log.V(1).Info("status written", "kind", kind, "object", k.String())
		}
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		w.roundFailed = true
		w.writes.WithLabelValues(kind, "error").Inc()
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
