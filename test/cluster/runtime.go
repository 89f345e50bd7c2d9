package cluster

import (
	"context"
	"io"
	"net/netip"
	"strings"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
)

// Container is one running container of a Pod: the process the kubelet
// started for it.
type Container interface {
	// Ready reports whether the container passes its readiness check.
	Ready() bool
	// Stop ends the process and releases everything it holds.
	Stop(ctx context.Context) error
}

// Resolver is the cluster DNS as a container sees it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ContainerSpec is what a Runtime gets to start one container, resolved as
// the kubelet resolves it.
type ContainerSpec struct {
	// Namespace and PodName identify the Pod; Name is the container's.
	Namespace string
	PodName   string
	Name      string
	// Image is the container's image reference as written in the Pod.
	Image string
	// Command and Args are the container's, with $(VAR) references
	// expanded from Env as the kubelet expands them.
	Command []string
	Args    []string
	// Env holds the container's environment variables (env and envFrom,
	// downward API and ConfigMap/Secret references resolved).
	Env map[string]string
	// Ports are the container's declared ports.
	Ports []corev1.ContainerPort
	// PodIP is the Pod's address: binds on the wildcard or loopback
	// addresses go there.
	PodIP netip.Addr
	// ReadFile reads the container's filesystem: the ConfigMap and Secret
	// volumes mounted into it, fetched from the API.
	ReadFile func(path string) ([]byte, error)
	// Resolver is the cluster DNS, with the Pod's search domains.
	Resolver Resolver
	// Stdout receives the container's output, line by line, for pods/log.
	Stdout io.Writer
	// Logger is for diagnostics about the container that are not its output.
	Logger logr.Logger
}

// Runtime starts a container. It returns once the process runs (it may not
// be ready yet) and stops it when ctx ends or Stop is called.
type Runtime func(ctx context.Context, spec ContainerSpec) (Container, error)

// Images maps image repositories (the reference without tag or digest,
// such as "registry.k8s.io/gateway-api/echo-basic") to the runtime that
// runs them.
type Images map[string]Runtime

// Lookup returns the runtime of an image reference, if there is one.
func (im Images) Lookup(image string) (Runtime, bool) {
	r, ok := im[Repository(image)]
	return r, ok
}

// Repository strips the tag and digest from an image reference.
func Repository(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	// A ':' after the last '/' starts the tag; one before it is a registry port.
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}
