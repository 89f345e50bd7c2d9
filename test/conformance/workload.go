package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// WorkloadOptions configure the workload stand-in.
type WorkloadOptions struct {
	// Namespaces are the namespaces whose workloads it runs: exact names, or
	// prefixes ending in "*".
	Namespaces []string
	Logger     logr.Logger
}

// Workload stands in for what envtest lacks to run workloads: the
// ReplicaSet controller (it creates the Pods of a Deployment), the kubelet
// (it marks those Pods Running and Ready), the Deployment controller's
// status (it marks a Deployment Available once its Pods are Ready) and the
// garbage collector (it deletes the Pods of a deleted Deployment). It only
// touches Pods and Deployments, in the namespaces it is given, and writes
// status only through the status subresource.
type Workload struct {
	mgr manager.Manager
}

// NewWorkload builds the stand-in's controllers on a manager of its own.
func NewWorkload(cfg *rest.Config, opts WorkloadOptions) (*Workload, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 opts.Logger,
		Controller:             config.Controller{SkipNameValidation: new(true)},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, fmt.Errorf("workload stand-in: %w", err)
	}
	inScope := predicate.NewPredicateFuncs(func(o client.Object) bool {
		return namespaceInScope(o.GetNamespace(), opts.Namespaces)
	})
	c := mgr.GetClient()
	err = ctrl.NewControllerManagedBy(mgr).Named("standin-kubelet").
		For(&corev1.Pod{}, builder.WithPredicates(inScope)).
		Complete(&kubelet{client: c})
	if err != nil {
		return nil, err
	}
	err = ctrl.NewControllerManagedBy(mgr).Named("standin-deployments").
		For(&appsv1.Deployment{}, builder.WithPredicates(inScope)).
		Owns(&corev1.Pod{}, builder.WithPredicates(inScope)).
		Complete(&deployments{client: c})
	if err != nil {
		return nil, err
	}
	return &Workload{mgr: mgr}, nil
}

// Start runs the stand-in until ctx is done.
func (w *Workload) Start(ctx context.Context) error { return w.mgr.Start(ctx) }

// namespaceInScope reports whether ns matches one of the patterns.
func namespaceInScope(ns string, patterns []string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			return strings.HasPrefix(ns, prefix)
		}
		return ns == p
	})
}

// kubelet marks every Pod Running and Ready.
type kubelet struct {
	client client.Client
}

// Reconcile marks one Pod Running and Ready through its status subresource.
func (k *kubelet) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var pod corev1.Pod
	if err := k.client.Get(ctx, req.NamespacedName, &pod); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if pod.DeletionTimestamp != nil || podReady(&pod) {
		return reconcile.Result{}, nil
	}
	now := metav1.Now()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.StartTime = &now
	pod.Status.Conditions = nil
	for _, t := range readyPodConditions {
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{
			Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now,
		})
	}
	pod.Status.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, Ready: true, Started: new(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	return reconcile.Result{}, client.IgnoreNotFound(k.client.Status().Update(ctx, &pod))
}

// readyPodConditions are the conditions of a running, ready Pod.
var readyPodConditions = []corev1.PodConditionType{
	corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady,
}

func podReady(pod *corev1.Pod) bool {
	return slices.ContainsFunc(pod.Status.Conditions, func(c corev1.PodCondition) bool {
		return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
	})
}

// deployments keeps spec.replicas Pods per Deployment and reports them in
// the Deployment's status.
type deployments struct {
	client client.Client
}

// Reconcile creates or deletes the Pods of one Deployment and writes its status.
func (d *deployments) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var dep appsv1.Deployment
	err := d.client.Get(ctx, req.NamespacedName, &dep)
	if apierrors.IsNotFound(err) {
		return reconcile.Result{}, d.deleteOwnedPods(ctx, req.Namespace, req.Name, -1)
	}
	if err != nil || dep.DeletionTimestamp != nil {
		return reconcile.Result{}, err
	}
	replicas := int(ptr.Deref(dep.Spec.Replicas, 1))
	if err := d.deleteOwnedPods(ctx, dep.Namespace, dep.Name, replicas); err != nil {
		return reconcile.Result{}, err
	}
	ready := 0
	for i := range replicas {
		pod, err := d.ensurePod(ctx, &dep, i)
		if err != nil {
			return reconcile.Result{}, err
		}
		if podReady(pod) {
			ready++
		}
	}
	return reconcile.Result{}, d.writeStatus(ctx, &dep, int32(replicas), int32(ready))
}

// podName is the name of the i-th Pod of a Deployment.
func podName(deployment string, i int) string {
	return fmt.Sprintf("%s-standin-%d", deployment, i)
}

// ensurePod creates the i-th Pod of a Deployment from its template if it
// does not exist, and returns it.
func (d *deployments) ensurePod(ctx context.Context, dep *appsv1.Deployment, i int) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	key := client.ObjectKey{Namespace: dep.Namespace, Name: podName(dep.Name, i)}
	err := d.client.Get(ctx, key, pod)
	if !apierrors.IsNotFound(err) {
		return pod, err
	}
	pod = &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   key.Namespace,
			Name:        key.Name,
			Labels:      dep.Spec.Template.Labels,
			Annotations: dep.Spec.Template.Annotations,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID,
				Controller: new(true), BlockOwnerDeletion: new(true),
			}},
		},
		Spec: *dep.Spec.Template.Spec.DeepCopy(),
	}
	if err := d.client.Create(ctx, pod); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	return pod, nil
}

// deleteOwnedPods deletes the stand-in Pods of a Deployment from index keep
// on (keep < 0 deletes them all).
func (d *deployments) deleteOwnedPods(ctx context.Context, ns, deployment string, keep int) error {
	var pods corev1.PodList
	if err := d.client.List(ctx, &pods, client.InNamespace(ns)); err != nil {
		return err
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		owner := metav1.GetControllerOf(pod)
		if owner == nil || owner.Kind != "Deployment" || owner.Name != deployment {
			continue
		}
		if i := podIndex(pod.Name, deployment); keep >= 0 && i >= 0 && i < keep {
			continue
		}
		if err := d.client.Delete(ctx, pod); client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	return nil
}

// podIndex returns the index of a stand-in Pod, or -1 for another name.
func podIndex(pod, deployment string) int {
	var i int
	if _, err := fmt.Sscanf(pod, deployment+"-standin-%d", &i); err != nil {
		return -1
	}
	return i
}

// writeStatus reports the Deployment's replicas, Available once they are all ready.
func (d *deployments) writeStatus(ctx context.Context, dep *appsv1.Deployment, replicas, ready int32) error {
	available := corev1.ConditionFalse
	reason := "MinimumReplicasUnavailable"
	if ready >= replicas {
		available, reason = corev1.ConditionTrue, "MinimumReplicasAvailable"
	}
	want := appsv1.DeploymentStatus{
		ObservedGeneration: dep.Generation,
		Replicas:           replicas,
		UpdatedReplicas:    replicas,
		ReadyReplicas:      ready,
		AvailableReplicas:  ready,
		Conditions: []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentAvailable, Status: available, Reason: reason,
			Message: "Pods are run by the conformance workload stand-in",
		}},
	}
	if statusEqual(dep.Status, want) {
		return nil
	}
	now := metav1.Now()
	want.Conditions[0].LastUpdateTime, want.Conditions[0].LastTransitionTime = now, now
	dep.Status = want
	return client.IgnoreNotFound(d.client.Status().Update(ctx, dep))
}

// statusEqual compares the fields writeStatus sets, ignoring condition times.
func statusEqual(a, b appsv1.DeploymentStatus) bool {
	if a.ObservedGeneration != b.ObservedGeneration || len(a.Conditions) != len(b.Conditions) {
		return false
	}
	if a.Replicas != b.Replicas || a.UpdatedReplicas != b.UpdatedReplicas ||
		a.ReadyReplicas != b.ReadyReplicas || a.AvailableReplicas != b.AvailableReplicas {
		return false
	}
	for i := range a.Conditions {
		x, y := a.Conditions[i], b.Conditions[i]
		if x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason || x.Message != y.Message {
			return false
		}
	}
	return true
}
