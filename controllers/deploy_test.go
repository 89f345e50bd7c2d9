package controllers_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/envoygw/envoy-gateway/internal/testenv"
)

var _ = Describe("Installation manifests", func() {
	It("renders config/default with kustomize and the API server accepts every object", func() {
		// A server-side dry run creates nothing, so namespaced objects need their namespace.
		ensureNamespace("envoy-gateway-system")
		kubectl := filepath.Join(testEnv.BinaryAssetsDirectory, "kubectl")
		user, err := testEnv.AddUser(envtest.User{Name: "deployer", Groups: []string{"system:masters"}}, nil)
		Expect(err).NotTo(HaveOccurred())
		kubeconfig, err := user.KubeConfig()
		Expect(err).NotTo(HaveOccurred())
		kubeconfigPath := filepath.Join(GinkgoT().TempDir(), "kubeconfig")
		Expect(os.WriteFile(kubeconfigPath, kubeconfig, 0o600)).To(Succeed())

		rendered, err := exec.Command(kubectl, "kustomize", filepath.Join(testenv.RepoRoot(), "config", "default")).Output()
		Expect(err).NotTo(HaveOccurred())

		apply := exec.Command(kubectl, "--kubeconfig", kubeconfigPath, "apply", "--server-side", "--dry-run=server", "-f", "-")
		apply.Stdin = bytes.NewReader(rendered)
		out, err := apply.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		for _, obj := range []string{
			"customresourcedefinition.apiextensions.k8s.io/envoyproxies.gateway.envoyproxy.io",
			"deployment.apps/envoy-gateway-controller-manager",
			"service/envoy-gateway-controller-manager",
			"job.batch/envoy-gateway-certgen",
			"clusterrole.rbac.authorization.k8s.io/envoy-gateway-manager-role",
			"role.rbac.authorization.k8s.io/envoy-gateway-manager-role",
		} {
			Expect(string(out)).To(ContainSubstring(obj))
		}
	})
})
