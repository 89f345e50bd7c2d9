package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Back-off between attempts to start a container that failed to start, as
// the kubelet's CrashLoopBackOff doubles it.
const (
	minStartBackoff = time.Second
	maxStartBackoff = 10 * time.Second
	// stopTimeout bounds how long a container may take to stop.
	stopTimeout = 30 * time.Second
)

// Reasons of a waiting container.
const (
	reasonNoRuntime    = "ImageNotSupported"
	reasonStartFailed  = "CrashLoopBackOff"
	reasonCreateConfig = "CreateContainerConfigError"
)

// runningPod is what the kubelet runs for one Pod.
type runningPod struct {
	uid        types.UID
	ip         netip.Addr
	startTime  metav1.Time
	containers []*runningContainer
	cancel     context.CancelFunc
	ctx        context.Context
}

// runningContainer is one container of a runningPod: started, or waiting
// with a reason.
type runningContainer struct {
	name  string
	image string

	mu        sync.Mutex
	proc      Container
	startedAt metav1.Time
	ready     bool // as last probed
	waiting   string
	message   string
	restarts  int32
	backoff   time.Duration
	nextStart time.Time
}

// snapshot is a consistent copy of a container's state for status.
type containerSnapshot struct {
	name, image      string
	running, ready   bool
	startedAt        metav1.Time
	waiting, message string
	restarts         int32
}

func (c *runningContainer) snapshot() containerSnapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return containerSnapshot{
		name: c.name, image: c.image, running: c.proc != nil, ready: c.ready, startedAt: c.startedAt,
		waiting: c.waiting, message: c.message, restarts: c.restarts,
	}
}

// probe refreshes the readiness of a running container and reports whether
// it changed.
func (c *runningContainer) probe() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ready := c.proc != nil && c.proc.Ready()
	changed := ready != c.ready
	c.ready = ready
	return changed
}

// containerStarter starts the containers of a Pod.
type containerStarter struct {
	reader   client.Reader
	images   Images
	logs     *logStore
	resolver func(namespace string) Resolver
	nodeIP   netip.Addr
	log      logr.Logger
}

// start starts the container if it is not running and its back-off has
// passed. It returns when to try again (zero: nothing to retry). Only the
// Pod's reconciler calls it, so one container never starts twice at once;
// the lock is not held while the runtime starts, so probes go on.
func (s *containerStarter) start(rp *runningPod, pod *corev1.Pod, spec *corev1.Container,
	c *runningContainer) time.Duration {
	c.mu.Lock()
	running, wait := c.proc != nil, time.Until(c.nextStart)
	c.mu.Unlock()
	if running {
		return 0
	}
	if wait > 0 {
		return wait
	}
	proc, reason, err := s.run(rp, pod, spec)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case reason == reasonNoRuntime:
		if c.waiting != reasonNoRuntime {
			s.log.Info("No runtime for this image: the container does not run and the Pod stays not Ready",
				"pod", klogRef(pod), "container", spec.Name, "image", spec.Image)
		}
		c.waiting, c.message = reason, err.Error()
		return 0
	case err != nil:
		s.log.Error(err, "Container failed to start", "pod", klogRef(pod), "container", spec.Name)
		c.waiting, c.message = reason, err.Error()
		if reason == reasonStartFailed {
			c.restarts++
		}
		return c.retryLater()
	}
	c.proc, c.startedAt, c.waiting, c.message, c.backoff = proc, nowSeconds(), "", "", 0
	return 0
}

// run resolves the container's spec and starts it; on failure it returns
// the waiting reason with the error.
func (s *containerStarter) run(rp *runningPod, pod *corev1.Pod, spec *corev1.Container) (Container, string, error) {
	runtime, ok := s.images.Lookup(spec.Image)
	if !ok {
		return nil, reasonNoRuntime, fmt.Errorf("the conformance cluster has no runtime for image %q", spec.Image)
	}
	cs, err := s.containerSpec(rp, pod, spec)
	if err != nil {
		return nil, reasonCreateConfig, err
	}
	proc, err := runtime(rp.ctx, cs)
	if err != nil {
		return nil, reasonStartFailed, err
	}
	return proc, "", nil
}

// retryLater doubles the back-off and returns it.
func (c *runningContainer) retryLater() time.Duration {
	c.backoff = min(max(2*c.backoff, minStartBackoff), maxStartBackoff)
	c.nextStart = time.Now().Add(c.backoff)
	return c.backoff
}

// containerSpec resolves what the runtime needs.
func (s *containerStarter) containerSpec(rp *runningPod, pod *corev1.Pod,
	spec *corev1.Container) (ContainerSpec, error) {
	env, err := containerEnv(rp.ctx, s.reader, pod, spec, podRuntimeInfo{podIP: rp.ip, hostIP: s.nodeIP})
	if err != nil {
		return ContainerSpec{}, err
	}
	return ContainerSpec{
		Namespace: pod.Namespace,
		PodName:   pod.Name,
		Name:      spec.Name,
		Image:     spec.Image,
		Command:   expandAll(spec.Command, env),
		Args:      expandAll(spec.Args, env),
		Env:       env,
		Ports:     spec.Ports,
		PodIP:     rp.ip,
		ReadFile:  newVolumeFS(rp.ctx, s.reader, pod, spec).ReadFile,
		Resolver:  s.resolver(pod.Namespace),
		Stdout:    s.logs.open(logKey{namespace: pod.Namespace, pod: pod.Name, container: spec.Name}),
		Logger:    s.log.WithValues("pod", klogRef(pod), "container", spec.Name),
	}, nil
}

// stop stops every container of the Pod.
func (rp *runningPod) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	var errs []error
	for _, c := range rp.containers {
		c.mu.Lock()
		if c.proc != nil {
			if err := c.proc.Stop(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stopping container %s: %w", c.name, err))
			}
			c.proc, c.ready = nil, false
		}
		c.mu.Unlock()
	}
	rp.cancel()
	return errors.Join(errs...)
}

// klogRef names a Pod for structured logs.
func klogRef(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }
