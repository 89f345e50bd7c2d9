package infra

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// reconcileRateLimit runs the rate limit service while some fleet has
// global rate limits, and deletes it when none has. Frozen GatewayClasses
// keep their fleets as they are, and whether those use the service is not
// known: the service is then kept too.
func (m *Manager) reconcileRateLimit(ctx context.Context, fleets []*bus.Fleet, frozen bool) error {
	if (&bus.FleetSet{Fleets: fleets}).UsesGlobalRateLimit() {
		if m.rateLimit == nil {
			return errors.New("rate limit service: a fleet uses global rate limits, but rate limiting is not configured")
		}
		objs, err := render.RenderRateLimit(m.rateLimit, m.render)
		if err != nil {
			return fmt.Errorf("rate limit service: %w", err)
		}
		for _, obj := range objs.Items() {
			if _, err := m.apply(ctx, obj); err != nil {
				return fmt.Errorf("rate limit service: applying %s %s: %w", kindOf(obj), obj.GetName(), err)
			}
		}
		return nil
	}
	if frozen {
		return nil
	}
	return m.deleteRateLimit(ctx)
}

// deleteRateLimit deletes the rate limit service's objects, if any.
func (m *Manager) deleteRateLimit(ctx context.Context) error {
	var errs []error
	for _, k := range []struct {
		kind string
		list client.ObjectList
	}{
		{"Service", &corev1.ServiceList{}},
		{"Deployment", &appsv1.DeploymentList{}},
		{"ServiceAccount", &corev1.ServiceAccountList{}},
	} {
		if err := m.reader.List(ctx, k.list, client.InNamespace(m.render.Namespace),
			client.MatchingLabels(render.RateLimitLabels())); err != nil {
			errs = append(errs, fmt.Errorf("listing rate limit %ss: %w", k.kind, err))
			continue
		}
		for _, obj := range listItems(k.list) {
			err := m.client.Delete(ctx, obj, client.PropagationPolicy("Background"))
			if err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("deleting rate limit %s %s: %w", k.kind, obj.GetName(), err))
				continue
			}
			m.log.Info("deleted the rate limit service's object: no route uses global rate limits", "kind", k.kind, "name", obj.GetName())
		}
	}
	return errors.Join(errs...)
}
