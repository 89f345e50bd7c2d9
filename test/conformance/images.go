package conformance

import (
	"context"
	"fmt"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/test/cluster"
	"github.com/envoygw/envoy-gateway/test/coredns"
	"github.com/envoygw/envoy-gateway/test/dataplane"
	"github.com/envoygw/envoy-gateway/test/echo"
)

// Image repositories the suite's manifests run.
const (
	// EchoImage is the suite's backend (all its modes).
	EchoImage = "registry.k8s.io/gateway-api/echo-basic"
	// CoreDNSImage is the UDPRoute tests' DNS server.
	CoreDNSImage = "registry.k8s.io/coredns/coredns"
)

// EnvoyImage is the image of our Envoy fleets (the EnvoyProxy default),
// run by the test data plane.
var EnvoyImage = cluster.Repository(egv1a1.DefaultEnvoyImage)

// Images are the runtimes of the images the conformance run needs: the
// suite's backends and our Envoy fleets.
func Images() cluster.Images {
	return cluster.Images{
		EchoImage:    echoRuntime,
		CoreDNSImage: corednsRuntime,
		EnvoyImage:   envoyRuntime,
	}
}

// echoRuntime runs the echo-basic image: test/echo, configured by the
// container's environment.
func echoRuntime(ctx context.Context, spec cluster.ContainerSpec) (cluster.Container, error) {
	return echo.StartContainer(ctx, spec.Env, spec.ReadFile, spec.PodIP, spec.Stdout)
}

// envoyRuntime runs an Envoy fleet replica as the test data plane, started
// from the container's command line (the image's entrypoint is envoy), its
// mounted bootstrap ConfigMap and xDS client Secret, on the Pod's IP, with
// the cluster DNS resolving the xDS Service.
func envoyRuntime(ctx context.Context, spec cluster.ContainerSpec) (cluster.Container, error) {
	return dataplane.Start(ctx, dataplane.Options{
		Args:     argsAfterBinary(spec),
		ReadFile: spec.ReadFile,
		WriteFile: func(path string, _ []byte) error {
			return fmt.Errorf("write %s: the container's filesystem is read-only", path)
		},
		PodIP:    spec.PodIP,
		Resolver: spec.Resolver,
		Logger:   spec.Logger,
	})
}

// corednsRuntime runs the CoreDNS image: test/coredns with the container's
// command line (the image's entrypoint is the binary).
func corednsRuntime(ctx context.Context, spec cluster.ContainerSpec) (cluster.Container, error) {
	cfg, err := coredns.ConfigFromArgs(argsAfterBinary(spec), spec.ReadFile)
	if err != nil {
		return nil, err
	}
	cfg.Addr, cfg.Log = spec.PodIP, spec.Stdout
	return coredns.Start(ctx, cfg)
}

// argsAfterBinary is the container's command line after the binary: the
// args when the command is the image's entrypoint, else the rest of the
// command and the args.
func argsAfterBinary(spec cluster.ContainerSpec) []string {
	if len(spec.Command) == 0 {
		return spec.Args
	}
	return append(append([]string(nil), spec.Command[1:]...), spec.Args...)
}
