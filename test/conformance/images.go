package conformance

import (
	"context"

	"github.com/envoygw/envoy-gateway/test/cluster"
	"github.com/envoygw/envoy-gateway/test/coredns"
	"github.com/envoygw/envoy-gateway/test/echo"
)

// Image repositories the suite's manifests run.
const (
	// EchoImage is the suite's backend (all its modes).
	EchoImage = "registry.k8s.io/gateway-api/echo-basic"
	// CoreDNSImage is the UDPRoute tests' DNS server.
	CoreDNSImage = "registry.k8s.io/coredns/coredns"
)

// Images are the runtimes of the images the conformance run needs: the
// suite's backends and our Envoy fleets.
func Images() cluster.Images {
	return cluster.Images{
		EchoImage:    echoRuntime,
		CoreDNSImage: corednsRuntime,
	}
}

// echoRuntime runs the echo-basic image: test/echo, configured by the
// container's environment.
func echoRuntime(ctx context.Context, spec cluster.ContainerSpec) (cluster.Container, error) {
	return echo.StartContainer(ctx, spec.Env, spec.ReadFile, spec.PodIP, spec.Stdout)
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
