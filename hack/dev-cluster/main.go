// Command dev-cluster starts a local Kubernetes API server (the envtest
// kube-apiserver and etcd, on loopback) with this project's CRDs and the
// Gateway API experimental-channel CRDs installed, writes an admin kubeconfig and
// waits for Ctrl-C. There is no scheduler or kubelet: objects are stored and
// controllers see them, but no Pods run.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/envoygw/envoy-gateway/internal/testenv"
)

func main() {
	defaultPath := filepath.Join(testenv.RepoRoot(), "bin", "dev-cluster", "kubeconfig")
	kubeconfig := flag.String("out", defaultPath, "where to write the admin kubeconfig")
	flag.Parse()
	if err := run(*kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, "dev-cluster:", err)
		os.Exit(1)
	}
}

func run(kubeconfigPath string) error {
	env, err := testenv.NewEnvironment()
	if err != nil {
		return err
	}
	if _, err := env.Start(); err != nil {
		return fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	defer func() { _ = env.Stop() }()

	user, err := env.AddUser(envtest.User{Name: "dev-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(kubeconfigPath), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		return err
	}
	printInstructions(env.ControlPlane.APIServer.HostPort(), kubeconfigPath)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	fmt.Println("stopping kube-apiserver and etcd")
	return nil
}

func printInstructions(address, kubeconfig string) {
	fmt.Printf(`Local API server ready at https://%s (Ctrl-C stops it; data is not kept).
CRDs installed: EnvoyProxy, RateLimitFilter and the Gateway API experimental channel.

  export KUBECONFIG=%s
  kubectl create namespace envoy-gateway-system
  # run the control plane against it (plaintext xDS on loopback, leader election on):
  ./bin/envoy-gateway server --config-path config/samples/dev-cluster/envoy-gateway.yaml
  kubectl apply -f config/samples/dev-cluster/resources.yaml
  kubectl get gatewayclass,gateway,httproute -A
  # global rate limiting: the route's filter provisions the rate limit service
  kubectl apply -f config/samples/gateway_v1alpha1_ratelimitfilter.yaml -f config/samples/dev-cluster/ratelimit.yaml
  kubectl get deployment,service -n envoy-gateway-system

No kubelet runs here: Envoy Pods are never started, so Gateways stay
Programmed=False; statuses, finalizers and xDS are all real.
`, address, kubeconfig)
}
