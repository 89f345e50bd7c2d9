package controlplane

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/testenv"
)

const module = "github.com/envoygw/envoy-gateway"

// forbiddenDeps are, per group of packages, the import path prefixes none
// of their (non-test) dependencies may have: past the IR, the xDS and infra
// layers know no provider, no resource translator and no Gateway API object;
// the xDS layer and the bus know nothing of Kubernetes either.
var forbiddenDeps = []struct {
	packages  string
	forbidden []string
}{
	{packages: "./internal/xds/...", forbidden: []string{
		module + "/controllers", module + "/internal/gatewayapi", module + "/internal/provider",
		module + "/internal/controlplane", module + "/api/", "sigs.k8s.io/gateway-api", "k8s.io/", "sigs.k8s.io/controller-runtime",
	}},
	{packages: "./internal/infra/...", forbidden: []string{
		module + "/controllers", module + "/internal/gatewayapi", module + "/internal/provider",
		module + "/internal/controlplane", "sigs.k8s.io/gateway-api",
	}},
	{packages: "./internal/bus", forbidden: []string{"k8s.io/", "sigs.k8s.io/", module + "/internal/gatewayapi", module + "/api/"}},
	{packages: "./controllers", forbidden: []string{module + "/internal/infra", module + "/internal/xds", module + "/internal/controlplane"}},
}

// TestPackageBoundaries checks the dependencies of each layer with go list.
func TestPackageBoundaries(t *testing.T) {
	for _, tc := range forbiddenDeps {
		t.Run(tc.packages, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", tc.packages)
			cmd.Dir = testenv.RepoRoot()
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tc.packages, err)
			}
			for dep := range strings.FieldsSeq(string(out)) {
				for _, f := range tc.forbidden {
					if strings.HasPrefix(dep, f) {
						t.Errorf("%s depends on %s", tc.packages, dep)
					}
				}
			}
		})
	}
}
