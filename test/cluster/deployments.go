package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// templateHashLabel marks the Pods of one version of a Deployment's
// template, as the Deployment controller's pod-template-hash does.
const templateHashLabel = appsv1.DefaultDeploymentUniqueLabelKey

// deployments plays the Deployment and ReplicaSet controllers and the
// garbage collector for Deployments: it keeps spec.replicas Pods of the
// current template (named <deployment>-<template hash>-<index>), rolls a
// changed template out by creating the new Pods first and deleting the old
// ones once the new ones are all Ready, deletes the Pods of a deleted
// Deployment, and reports replicas and availability in the Deployment's
// status.
type deployments struct {
	client client.Client
}

// Reconcile brings one Deployment's Pods and status up to date.
func (d *deployments) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var dep appsv1.Deployment
	err := d.client.Get(ctx, req.NamespacedName, &dep)
	if apierrors.IsNotFound(err) {
		return reconcile.Result{}, d.deletePods(ctx, req.Namespace, req.Name, func(*corev1.Pod) bool { return true })
	}
	if err != nil || dep.DeletionTimestamp != nil {
		return reconcile.Result{}, err
	}
	hash, err := templateHash(&dep.Spec.Template)
	if err != nil {
		return reconcile.Result{}, err
	}
	replicas := int(ptr.Deref(dep.Spec.Replicas, 1))
	current, err := d.ensurePods(ctx, &dep, hash, replicas)
	if err != nil {
		return reconcile.Result{}, err
	}
	ready := countReady(current)
	if ready >= replicas { // rolled out: the Pods of older templates go
		err := d.deletePods(ctx, dep.Namespace, dep.Name, func(p *corev1.Pod) bool {
			return p.Labels[templateHashLabel] != hash
		})
		if err != nil {
			return reconcile.Result{}, err
		}
	}
	pods, err := d.ownedPods(ctx, dep.Namespace, dep.Name)
	if err != nil {
		return reconcile.Result{}, err
	}
	all := current // the cache may not list the Pods just created yet
	for _, p := range pods {
		if p.Labels[templateHashLabel] != hash {
			all = append(all, p)
		}
	}
	return requeueOnConflict(d.writeStatus(ctx, &dep, replicas, len(current), all))
}

// templateHash names a version of a Pod template.
func templateHash(t *corev1.PodTemplateSpec) (string, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	h := fnv.New32a()
	_, _ = h.Write(b)
	return fmt.Sprintf("%08x", h.Sum32()), nil
}

// ensurePods creates the missing Pods of the current template, deletes
// those beyond replicas, and returns the ones that stay.
func (d *deployments) ensurePods(ctx context.Context, dep *appsv1.Deployment, hash string,
	replicas int) ([]*corev1.Pod, error) {
	prefix := dep.Name + "-" + hash + "-"
	err := d.deletePods(ctx, dep.Namespace, dep.Name, func(p *corev1.Pod) bool {
		var i int
		_, err := fmt.Sscanf(strings.TrimPrefix(p.Name, prefix), "%d", &i)
		return p.Labels[templateHashLabel] == hash && (err != nil || i >= replicas)
	})
	if err != nil {
		return nil, err
	}
	pods := make([]*corev1.Pod, 0, replicas)
	for i := range replicas {
		pod, err := d.ensurePod(ctx, dep, hash, fmt.Sprintf("%s%d", prefix, i))
		if err != nil {
			return nil, err
		}
		pods = append(pods, pod)
	}
	return pods, nil
}

// ensurePod creates a Pod of the template if it does not exist, and returns it.
func (d *deployments) ensurePod(ctx context.Context, dep *appsv1.Deployment, hash, name string) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	err := d.client.Get(ctx, client.ObjectKey{Namespace: dep.Namespace, Name: name}, pod)
	if !apierrors.IsNotFound(err) {
		return pod, err
	}
	labels := map[string]string{templateHashLabel: hash}
	maps.Copy(labels, dep.Spec.Template.Labels)
	pod = &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   dep.Namespace,
			Name:        name,
			Labels:      labels,
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

// ownedPods lists the Pods a Deployment controls.
func (d *deployments) ownedPods(ctx context.Context, ns, deployment string) ([]*corev1.Pod, error) {
	var list corev1.PodList
	if err := d.client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var out []*corev1.Pod
	for i := range list.Items {
		owner := metav1.GetControllerOf(&list.Items[i])
		if owner != nil && owner.Kind == "Deployment" && owner.Name == deployment {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

// deletePods deletes the Deployment's Pods that match.
func (d *deployments) deletePods(ctx context.Context, ns, deployment string, match func(*corev1.Pod) bool) error {
	pods, err := d.ownedPods(ctx, ns, deployment)
	if err != nil {
		return err
	}
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil || !match(pod) {
			continue
		}
		if err := d.client.Delete(ctx, pod); client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	return nil
}

// countReady counts the Pods that are Ready and not being deleted.
func countReady(pods []*corev1.Pod) int {
	n := 0
	for _, p := range pods {
		if p.DeletionTimestamp == nil && podReady(p) {
			n++
		}
	}
	return n
}

// podReady reports the Pod's Ready condition.
func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// writeStatus reports the Deployment's replicas; it is Available once as
// many Pods as it asks for are Ready.
func (d *deployments) writeStatus(ctx context.Context, dep *appsv1.Deployment, replicas, updated int,
	pods []*corev1.Pod) error {
	total := 0
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			total++
		}
	}
	ready := countReady(pods)
	available, reason := corev1.ConditionFalse, "MinimumReplicasUnavailable"
	if ready >= replicas {
		available, reason = corev1.ConditionTrue, "MinimumReplicasAvailable"
	}
	want := appsv1.DeploymentStatus{
		ObservedGeneration: dep.Generation,
		Replicas:           int32(total),   //nolint:gosec // a few Pods
		UpdatedReplicas:    int32(updated), //nolint:gosec // a few Pods
		ReadyReplicas:      int32(ready),   //nolint:gosec // a few Pods
		AvailableReplicas:  int32(ready),   //nolint:gosec // a few Pods
		Conditions: []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentAvailable, Status: available, Reason: reason,
			Message: "Pods are run by the conformance cluster's stand-in controllers",
		}},
	}
	if len(dep.Status.Conditions) == 1 && dep.Status.Conditions[0].Status == available {
		want.Conditions[0].LastUpdateTime = dep.Status.Conditions[0].LastUpdateTime
		want.Conditions[0].LastTransitionTime = dep.Status.Conditions[0].LastTransitionTime
	} else {
		want.Conditions[0].LastUpdateTime, want.Conditions[0].LastTransitionTime = nowSeconds(), nowSeconds()
	}
	if equality.Semantic.DeepEqual(dep.Status, want) {
		return nil
	}
	dep.Status = want
	return client.IgnoreNotFound(d.client.Status().Update(ctx, dep))
}
