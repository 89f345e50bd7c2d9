package controllers

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
)

// endpointsKey is the work item of EndpointSlice events: it rebuilds and
// publishes the endpoints snapshot only, never a Resources snapshot.
var endpointsKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: "endpoints"}}

// Values of the snapshot label of envoy_gateway_provider_snapshots_total.
const (
	snapshotResources = "resources"
	snapshotEndpoints = "endpoints"
)

// newSnapshotsCounter counts the snapshots the provider publishes, by kind.
func newSnapshotsCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "envoy_gateway_provider_snapshots_total",
		Help: "Snapshots published by the provider, by snapshot (resources: translated in full; " +
			"endpoints: only ClusterLoadAssignments are recomputed).",
	}, []string{"snapshot"})
}

// buildEndpoints gathers the EndpointSlices of services from the reader (the
// informer cache) into a new endpoints snapshot covering each of them, with
// no slices for a Service that has none (or does not exist).
func buildEndpoints(
	ctx context.Context, r *sliceReader, services sets.Set[types.NamespacedName],
) (*gatewayapi.Endpoints, error) {
	keys := make([]gatewayapi.ObjectKey, 0, services.Len())
	var all []*discoveryv1.EndpointSlice
	for _, svc := range sortedKeys(services) {
		keys = append(keys, gatewayapi.ObjectKey{Namespace: svc.Namespace, Name: svc.Name})
		// The slices are only read: no copy of every slice of every
		// Service on each change (see sliceReader).
		list, err := r.list(ctx, svc)
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
	}
	return gatewayapi.NewEndpoints(keys, all), nil
}

// endpointsFingerprint identifies what an endpoints snapshot holds by the
// Services it covers and the names and resourceVersions of their slices. ok
// is false when a slice has no resourceVersion (the snapshot cannot be
// compared then).
func endpointsFingerprint(e *gatewayapi.Endpoints) (sum [sha256.Size]byte, ok bool) {
	h := sha256.New()
	for _, s := range e.Services {
		_, _ = fmt.Fprintf(h, "%s/%s:%d\n", s.Namespace, s.Name, len(s.EndpointSlices))
		for _, es := range s.EndpointSlices {
			if es.ResourceVersion == "" {
				return sum, false
			}
			_, _ = fmt.Fprintf(h, "%s@%s\n", es.Name, es.ResourceVersion)
		}
	}
	copy(sum[:], h.Sum(nil))
	return sum, true
}

// publishEndpoints builds the endpoints snapshot of services and publishes
// it, unless it holds exactly what was published last. The snapshot is a
// patch of the last one when it can be (see endpointsState.patchEndpoints):
// an EndpointSlice change lists the slices of its Service only.
func (r *snapshotReconciler) publishEndpoints(ctx context.Context, services sets.Set[types.NamespacedName]) error {
	start := time.Now()
	// Taken before listing: an event arriving from now on is seen by the
	// lists below or by the next call (it queues one).
	changed := r.endpointsChanged.take()
	eps, patched, err := r.endpoints.patchEndpoints(ctx, r.slices, services, changed)
	if err != nil {
		r.endpointsChanged.putBack(changed) // the retry must list them
		return fmt.Errorf("patching endpoints snapshot: %w", err)
	}
	if patched {
		r.endpoints.services = services
		if eps == nil {
			return nil // nothing changed
		}
		// The fingerprint is not kept up to date by patches.
		r.endpointsPublished = false
	} else {
		if eps, err = buildEndpoints(ctx, r.slices, services); err != nil {
			r.endpointsChanged.putBack(changed) // the retry may be a patch
			return fmt.Errorf("building endpoints snapshot: %w", err)
		}
		sum, ok := endpointsFingerprint(eps)
		if ok && r.endpointsPublished && sum == r.endpointsSum {
			// The same Services and slices: the last snapshot stays the
			// base of the next patch, as the one translated last.
			r.endpoints.services = services
			return nil
		}
		r.endpointsSum, r.endpointsPublished = sum, ok
		r.endpoints.ids++
		eps.ID = r.endpoints.ids
		r.endpoints.services = services
	}
	r.endpoints.snap = eps
	r.opts.Endpoints.Publish(r.endpointsIR.Translate(eps))
	r.snapshots.WithLabelValues(snapshotEndpoints).Inc()
	r.log.V(1).Info("published endpoints snapshot", "services", len(eps.Services), "patched", patched,
		"duration", time.Since(start).String())
	return nil
}

// reconcileEndpoints publishes the endpoints snapshot of the Services the
// last Resources snapshot referenced. Before the first Resources snapshot
// there is nothing to do: that snapshot publishes its endpoints itself.
func (r *snapshotReconciler) reconcileEndpoints(ctx context.Context) error {
	if !r.synced.Load() {
		return nil
	}
	return r.publishEndpoints(ctx, r.refs.current().services)
}
