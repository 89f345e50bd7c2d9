package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// probePeriod is how often the kubelet checks its containers' readiness.
const probePeriod = 200 * time.Millisecond

// kubelet plays the scheduler (it binds every Pod in scope to the Node) and
// the kubelet of that Node: it gives each Pod an IP, runs its containers
// through the runtime of their image, probes their readiness, reports all
// of it in the Pod's status, and stops the containers and finishes the
// deletion when the Pod is deleted.
type kubelet struct {
	client  client.Client
	network *Network
	starter *containerStarter
	logs    *logStore
	log     logr.Logger
	// baseCtx outlives reconciles: containers run under it.
	baseCtx context.Context
	// changed receives Pods whose readiness changed, for their status.
	changed chan event.GenericEvent

	mu   sync.Mutex
	pods map[types.NamespacedName]*runningPod
}

// Reconcile drives one Pod towards running, or tears it down.
func (k *kubelet) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var pod corev1.Pod
	err := k.client.Get(ctx, req.NamespacedName, &pod)
	if apierrors.IsNotFound(err) {
		return reconcile.Result{}, k.teardown(req.NamespacedName, "")
	}
	if err != nil {
		return reconcile.Result{}, err
	}
	switch {
	case pod.Spec.NodeName == "":
		return reconcile.Result{}, k.bind(ctx, &pod)
	case pod.Spec.NodeName != NodeName:
		return reconcile.Result{}, nil
	case pod.DeletionTimestamp != nil:
		return reconcile.Result{}, k.finishDeletion(ctx, &pod)
	}
	if err := k.teardown(req.NamespacedName, pod.UID); err != nil { // a Pod of the same name before this one
		return reconcile.Result{}, err
	}
	rp, err := k.running(&pod)
	if err != nil {
		return reconcile.Result{}, err
	}
	var retry time.Duration
	for i := range pod.Spec.Containers {
		wait := k.starter.start(rp, &pod, &pod.Spec.Containers[i], rp.containers[i])
		if wait > 0 && (retry == 0 || wait < retry) {
			retry = wait
		}
	}
	for _, c := range rp.containers {
		c.probe()
	}
	if err := k.writeStatus(ctx, &pod, rp); err != nil {
		return requeueOnConflict(client.IgnoreNotFound(err))
	}
	return reconcile.Result{RequeueAfter: retry}, nil
}

// bind schedules a Pod onto the Node, through the binding subresource as
// the scheduler does.
func (k *kubelet) bind(ctx context.Context, pod *corev1.Pod) error {
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: NodeName},
	}
	err := k.client.SubResource("binding").Create(ctx, pod, b)
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // bound already, or gone
	}
	if err != nil {
		return fmt.Errorf("binding pod %s to %s: %w", klogRef(pod), NodeName, err)
	}
	return nil
}

// finishDeletion stops the containers of a deleted Pod, then removes it
// for good (a deletion with grace period 0), as the kubelet confirms a
// graceful deletion.
func (k *kubelet) finishDeletion(ctx context.Context, pod *corev1.Pod) error {
	if err := k.teardown(client.ObjectKeyFromObject(pod), ""); err != nil {
		k.log.Error(err, "Stopping the containers of a deleted Pod", "pod", klogRef(pod))
	}
	uid := pod.UID
	err := k.client.Delete(ctx, pod, client.GracePeriodSeconds(0), client.Preconditions{UID: &uid})
	return client.IgnoreNotFound(err)
}

// running returns the Pod's runningPod, creating it (with a new Pod IP).
func (k *kubelet) running(pod *corev1.Pod) (*runningPod, error) {
	key := client.ObjectKeyFromObject(pod)
	k.mu.Lock()
	defer k.mu.Unlock()
	if rp, ok := k.pods[key]; ok {
		return rp, nil
	}
	if err := k.baseCtx.Err(); err != nil {
		return nil, fmt.Errorf("the kubelet is stopping: %w", err)
	}
	ip, err := k.network.AllocatePodIP()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(k.baseCtx)
	rp := &runningPod{uid: pod.UID, ip: ip, startTime: nowSeconds(), ctx: ctx, cancel: cancel}
	for _, c := range pod.Spec.Containers {
		rp.containers = append(rp.containers, &runningContainer{name: c.Name, image: c.Image})
	}
	k.pods[key] = rp
	return rp, nil
}

// teardown stops the Pod's containers unless they belong to keepUID, and
// drops its logs.
func (k *kubelet) teardown(key types.NamespacedName, keepUID types.UID) error {
	k.mu.Lock()
	rp, ok := k.pods[key]
	if !ok || (keepUID != "" && rp.uid == keepUID) {
		k.mu.Unlock()
		return nil
	}
	delete(k.pods, key)
	k.mu.Unlock()
	k.logs.removePod(key.Namespace, key.Name)
	return rp.stop()
}

// Start probes the running containers until ctx ends, queueing Pods whose
// readiness changed; then it stops every container.
func (k *kubelet) Start(ctx context.Context) error {
	t := time.NewTicker(probePeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return k.stopAll()
		case <-t.C:
			k.probeAll(ctx)
		}
	}
}

// probeAll probes every container and queues the Pods whose readiness changed.
func (k *kubelet) probeAll(ctx context.Context) {
	k.mu.Lock()
	var changed []types.NamespacedName
	for key, rp := range k.pods {
		for _, c := range rp.containers {
			if c.probe() {
				changed = append(changed, key)
				break
			}
		}
	}
	k.mu.Unlock()
	for _, key := range changed {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		select {
		case k.changed <- event.GenericEvent{Object: pod}:
		case <-ctx.Done():
			return
		}
	}
}

// stopAll stops every container, when the cluster stops.
func (k *kubelet) stopAll() error {
	k.mu.Lock()
	pods := k.pods
	k.pods = map[types.NamespacedName]*runningPod{}
	k.mu.Unlock()
	var errs []error
	for _, rp := range pods {
		if err := rp.stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
