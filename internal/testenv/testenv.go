// Package testenv owns the envtest set-up shared by the test suites that need
// a real kube-apiserver and etcd: where the binaries are (built by
// hack/envtest-assets.sh), where our CRDs and the Gateway API CRDs are, and a
// ready-to-start envtest.Environment with both installed.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// KubernetesVersion is the version of the envtest binaries.
const KubernetesVersion = "1.37.2"

// RepoRoot returns the root of the repository this file belongs to.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// AssetsDir returns KUBEBUILDER_ASSETS, or the repository's bin/k8s folder
// when that is not set. It fails with instructions when the binaries are missing.
func AssetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "bin", "k8s", KubernetesVersion+"-"+runtime.GOOS+"-"+runtime.GOARCH)
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("envtest binary %s not found in %s: run `make envtest-assets` (builds them once)", b, dir)
		}
	}
	return dir, nil
}

// GatewayAPICRDDir returns the folder of the Gateway API CRDs of the given
// channel ("standard" or "experimental") in the module cache, for the
// gateway-api version in go.mod.
func GatewayAPICRDDir(channel string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api")
	cmd.Dir = RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locating sigs.k8s.io/gateway-api in the module cache: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "config", "crd", channel)
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// ProjectCRDDir returns the folder of this project's generated CRDs.
func ProjectCRDDir() string {
	return filepath.Join(RepoRoot(), "config", "crd", "bases")
}

// GatewayAPIChannel is the Gateway API CRD channel the envtest environments
// install: experimental, a superset of the standard channel, so that
// experimental fields (HTTPRouteRule.retry) reach the controllers and the
// conformance suite; the File provider's validator embeds the same channel.
const GatewayAPIChannel = "experimental"

// NewEnvironment returns an envtest environment with this project's CRDs and
// the Gateway API CRDs of GatewayAPIChannel installed.
func NewEnvironment() (*envtest.Environment, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	gwCRDs, err := GatewayAPICRDDir(GatewayAPIChannel)
	if err != nil {
		return nil, err
	}
	return &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{ProjectCRDDir(), gwCRDs},
		ErrorIfCRDPathMissing: true,
		// A loaded 2-core machine can take well over envtest's default 20 s.
		ControlPlaneStartTimeout: ProcessTimeout,
		ControlPlaneStopTimeout:  ProcessTimeout,
	}, nil
}

// ProcessTimeout bounds how long the kube-apiserver and etcd may take to
// start (answer /healthz) or to stop.
const ProcessTimeout = 2 * time.Minute

// KeepAPIServerCerts makes env's kube-apiserver keep its serving
// certificate in dir, so that StopAPIServer and StartAPIServer restart it on
// the same address with the same certificates: the clients built from the
// rest.Config env.Start returned keep working, and clients authenticated by
// env (their certificates' CA stays in memory) stay trusted. Call it before
// env.Start; dir is the caller's to remove after env.Stop.
func KeepAPIServerCerts(env *envtest.Environment, dir string) {
	env.ControlPlane.APIServer = &envtest.APIServer{CertDir: dir}
}

// StopAPIServer stops env's kube-apiserver (etcd keeps running, with every
// object), as an API-server upgrade or outage would.
func StopAPIServer(env *envtest.Environment) error {
	return env.ControlPlane.APIServer.Stop()
}

// StartAPIServer starts env's kube-apiserver again after StopAPIServer and
// waits until it answers /healthz. It needs KeepAPIServerCerts.
func StartAPIServer(env *envtest.Environment) error {
	s := env.ControlPlane.APIServer
	if s.CertDir == "" {
		return fmt.Errorf("the kube-apiserver cannot be restarted: call KeepAPIServerCerts before starting the environment")
	}
	s.StartTimeout = ProcessTimeout
	return s.Start()
}
