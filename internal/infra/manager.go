package infra

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/infra/render"
)

// RBAC of the infra manager: the fleets' objects live in the control plane's
// namespace, and it writes nothing anywhere else (the provider reads Services
// cluster-wide, for the routes' backends).
// +kubebuilder:rbac:groups="",namespace=envoy-gateway-system,resources=serviceaccounts;configmaps;services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,namespace=envoy-gateway-system,resources=deployments,verbs=get;list;watch;create;update;patch;delete

// FieldManager is the server-side apply field manager of every object the
// manager writes.
const FieldManager = "envoy-gateway"

// Options configure a Manager.
type Options struct {
	// Client applies and deletes the fleets' objects.
	Client client.Client
	// Reader lists the existing objects when pruning; Client when nil. An
	// uncached reader (a manager's GetAPIReader()) avoids caching every
	// ConfigMap and ServiceAccount of the cluster.
	Reader client.Reader
	// Render are the rendering options; Render.Namespace is where every
	// fleet's objects live.
	Render render.Options
	// Logger receives one line per applied fleet and per deleted object.
	Logger logr.Logger
	// Events receives what happens to the fleets, for users (the provider
	// makes Kubernetes Events of them); nil drops them.
	Events func(bus.FleetEvent)
	// RateLimit is the static rateLimit configuration (defaults applied):
	// the rate limit service runs while a fleet has global rate limits. Nil
	// means rate limiting is not configured.
	RateLimit *egv1a1.RateLimit
}

// Manager applies the objects of the fleets and deletes those of fleets
// that are gone.
type Manager struct {
	client client.Client
	reader client.Reader
	render render.Options
	log    logr.Logger
	events func(bus.FleetEvent)
	// rateLimit is Options.RateLimit.
	rateLimit *egv1a1.RateLimit
}

// NewManager returns a Manager, or an error when the options are invalid.
func NewManager(opts Options) (*Manager, error) {
	if opts.Client == nil {
		return nil, errors.New("infra manager needs a client")
	}
	if err := opts.Render.Validate(); err != nil {
		return nil, fmt.Errorf("infra manager render options: %w", err)
	}
	reader := opts.Reader
	if reader == nil {
		reader = opts.Client
	}
	events := opts.Events
	if events == nil {
		events = func(bus.FleetEvent) {}
	}
	return &Manager{client: opts.Client, reader: reader, render: opts.Render, log: opts.Logger, events: events, rateLimit: opts.RateLimit}, nil
}

// Namespace returns the namespace of every fleet's objects.
func (m *Manager) Namespace() string { return m.render.Namespace }

// Reconcile makes the cluster run exactly the given fleets: it applies the
// objects of each fleet and deletes the objects of fleets not in the list
// (and objects a fleet no longer has, such as the Service of a fleet left
// without listeners). A fleet that fails to render or apply is reported in
// the returned error and keeps its existing objects; the other fleets are
// reconciled regardless.
//
// Objects owned by a frozen GatewayClass (one that is not accepted, see
// bus.FleetSet.FrozenGatewayClasses) are never deleted: an invalid
// EnvoyProxy must not take down what already runs.
//
// The rate limit service runs while a fleet has global rate limits and is
// deleted once none has (and no class is frozen).
func (m *Manager) Reconcile(ctx context.Context, fleets []*bus.Fleet, frozenClasses []string) error {
	desired := newDesiredSet()
	for _, c := range frozenClasses {
		desired.freezeClass(c)
	}
	var errs []error
	for _, f := range fleets {
		if err := m.applyFleet(ctx, f, desired); err != nil {
			errs = append(errs, err)
			if ctx.Err() == nil { // stopping is no failure to report
				m.events(fleetEvent(f, true, bus.ReasonFleetApplyFailed, err.Error()))
			}
		}
	}
	if err := m.prune(ctx, desired); err != nil {
		errs = append(errs, err)
	}
	if err := m.reconcileRateLimit(ctx, fleets, len(frozenClasses) > 0); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// applyFleet renders and applies one fleet, recording in desired what must
// be kept.
func (m *Manager) applyFleet(ctx context.Context, f *bus.Fleet, desired *desiredSet) error {
	if f == nil {
		return nil
	}
	// Whatever happens next, the fleet still exists: keep its objects.
	desired.keepFleet(f.Name)
	if f.Infra == nil || f.Infra.Proxy == nil || f.Infra.Proxy.Name != f.Name {
		return fmt.Errorf("fleet %q: infra IR is missing or names another fleet", f.Name)
	}
	objs, err := render.Render(f.Infra, m.render)
	if err != nil {
		return fmt.Errorf("fleet %q: %w", f.Name, err)
	}
	desired.rendered(f.Name, objs.Items())
	var changes fleetChanges
	for _, obj := range objs.Items() {
		outcome, err := m.apply(ctx, obj)
		if err != nil {
			return fmt.Errorf("fleet %q: applying %s %s: %w", f.Name, kindOf(obj), obj.GetName(), err)
		}
		changes.add(kindOf(obj), outcome)
	}
	m.log.V(1).Info("applied fleet", "fleet", f.Name, "name", objs.Deployment.Name)
	if e, ok := changes.event(f, objs.Deployment.Name, m.render.Namespace); ok {
		m.events(e)
	}
	return nil
}

// apply server-side applies obj as FieldManager, taking ownership of
// conflicting fields, and says whether that created or changed it.
func (m *Manager) apply(ctx context.Context, obj render.Object) (applyOutcome, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return unchanged, err
	}
	// Fields the server owns: never claim them in an apply configuration.
	unstructured.RemoveNestedField(u, "status")
	unstructured.RemoveNestedField(u, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u, "spec", "template", "metadata", "creationTimestamp")
	applied := &unstructured.Unstructured{Object: u}
	before := &unstructured.Unstructured{}
	before.SetGroupVersionKind(applied.GroupVersionKind())
	err = m.reader.Get(ctx, client.ObjectKeyFromObject(applied), before)
	if err != nil && !apierrors.IsNotFound(err) {
		return unchanged, err
	}
	existed := err == nil
	if err := m.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(applied),
		client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return unchanged, err
	}
	switch {
	case !existed:
		return created, nil
	case applied.GetResourceVersion() != before.GetResourceVersion():
		return updated, nil
	}
	return unchanged, nil
}

// kindDeployment is the kind of the object that runs a fleet.
const kindDeployment = "Deployment"

// managedKinds are the kinds a fleet is made of, with their list types.
var managedKinds = []struct {
	kind    string
	newList func() client.ObjectList
}{
	{kind: "Service", newList: func() client.ObjectList { return &corev1.ServiceList{} }},
	{kind: kindDeployment, newList: func() client.ObjectList { return &appsv1.DeploymentList{} }},
	{kind: "ConfigMap", newList: func() client.ObjectList { return &corev1.ConfigMapList{} }},
	{kind: "ServiceAccount", newList: func() client.ObjectList { return &corev1.ServiceAccountList{} }},
}

// prune deletes every managed object that desired does not keep.
func (m *Manager) prune(ctx context.Context, desired *desiredSet) error {
	var errs []error
	for _, k := range managedKinds {
		list := k.newList()
		if err := m.reader.List(ctx, list, client.InNamespace(m.render.Namespace),
			client.MatchingLabels(render.ManagedLabels())); err != nil {
			errs = append(errs, fmt.Errorf("listing %ss: %w", k.kind, err))
			continue
		}
		for _, obj := range listItems(list) {
			if desired.keeps(k.kind, obj) {
				continue
			}
			if err := m.delete(ctx, k.kind, obj); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) delete(ctx context.Context, kind string, obj client.Object) error {
	err := m.client.Delete(ctx, obj, client.PropagationPolicy("Background"))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s %s: %w", kind, obj.GetName(), err)
	}
	m.log.Info("deleted a stale fleet object", "kind", kind, "name", obj.GetName(),
		"fleet", obj.GetAnnotations()[render.AnnotationFleetName])
	if kind == kindDeployment {
		m.events(deletedEvent(obj))
	}
	return nil
}

// listItems returns pointers to the items of a list of a managed kind.
func listItems(list client.ObjectList) []client.Object {
	switch l := list.(type) {
	case *corev1.ServiceList:
		return itemPointers(l.Items)
	case *appsv1.DeploymentList:
		return itemPointers(l.Items)
	case *corev1.ConfigMapList:
		return itemPointers(l.Items)
	case *corev1.ServiceAccountList:
		return itemPointers(l.Items)
	}
	return nil
}

// itemPointers returns a pointer to each of items, in order.
func itemPointers[T any, P interface {
	*T
	client.Object
}](items []T) []client.Object {
	out := make([]client.Object, 0, len(items))
	for i := range items {
		out = append(out, P(&items[i]))
	}
	return out
}

func kindOf(obj runtime.Object) string {
	return obj.GetObjectKind().GroupVersionKind().Kind
}
