package cluster

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// writeStatus reports the Pod's IP, containers and conditions through the
// status subresource, when they changed.
func (k *kubelet) writeStatus(ctx context.Context, pod *corev1.Pod, rp *runningPod) error {
	want := podStatus(pod.Status, rp, k.network.NodeIP().String())
	if equality.Semantic.DeepEqual(pod.Status, want) {
		return nil
	}
	pod.Status = want
	return k.client.Status().Update(ctx, pod)
}

// podStatus computes a Pod's status from what runs, keeping the transition
// times of conditions that did not change.
func podStatus(old corev1.PodStatus, rp *runningPod, nodeIP string) corev1.PodStatus {
	s := *old.DeepCopy()
	s.HostIP, s.HostIPs = nodeIP, []corev1.HostIP{{IP: nodeIP}}
	s.PodIP, s.PodIPs = rp.ip.String(), []corev1.PodIP{{IP: rp.ip.String()}}
	s.StartTime = &rp.startTime
	allRunning, allReady := true, true
	s.ContainerStatuses = nil
	for _, c := range rp.containers {
		snap := c.snapshot()
		allRunning = allRunning && snap.running
		allReady = allReady && snap.ready
		s.ContainerStatuses = append(s.ContainerStatuses, containerStatus(snap))
	}
	s.Phase = corev1.PodPending
	if allRunning {
		s.Phase = corev1.PodRunning
	}
	ready := corev1.ConditionFalse
	if allReady {
		ready = corev1.ConditionTrue
	}
	s.Conditions = setConditions(old.Conditions, map[corev1.PodConditionType]corev1.ConditionStatus{
		corev1.PodScheduled:    corev1.ConditionTrue,
		corev1.PodInitialized:  corev1.ConditionTrue,
		corev1.ContainersReady: ready,
		corev1.PodReady:        ready,
	})
	return s
}

// podConditionOrder is the order the kubelet lists conditions in.
var podConditionOrder = []corev1.PodConditionType{
	corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled,
}

// setConditions sets the conditions' statuses, keeping the transition time
// of those that did not change.
func setConditions(old []corev1.PodCondition,
	want map[corev1.PodConditionType]corev1.ConditionStatus) []corev1.PodCondition {
	now := metav1.Now()
	out := make([]corev1.PodCondition, 0, len(want))
	for _, t := range podConditionOrder {
		c := corev1.PodCondition{Type: t, Status: want[t], LastTransitionTime: now}
		for _, o := range old {
			if o.Type == t && o.Status == c.Status {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		if c.Status == corev1.ConditionFalse && (t == corev1.PodReady || t == corev1.ContainersReady) {
			c.Reason = "ContainersNotReady"
		}
		out = append(out, c)
	}
	return out
}

// containerStatus reports one container.
func containerStatus(c containerSnapshot) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{
		Name: c.name, Image: c.image, Ready: c.ready, RestartCount: c.restarts, Started: new(c.running),
	}
	if c.running {
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: c.startedAt}
	} else {
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: c.waiting, Message: c.message}
	}
	return cs
}

// nowSeconds is the current time at the precision the API stores, so a
// status computed twice compares equal.
func nowSeconds() metav1.Time { return metav1.NewTime(time.Now().Truncate(time.Second)) }
