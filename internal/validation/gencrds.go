//go:build ignore

// gencrds copies the CRDs the validator embeds into crds/: ours from
// config/crd/bases and the Gateway API experimental channel from the
// sigs.k8s.io/gateway-api module pinned in go.mod. Run it with
// `go generate ./internal/validation` after `make manifests` or a
// gateway-api upgrade; TestEmbeddedCRDsInSync fails until then.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gencrds:", err)
		os.Exit(1)
	}
}

func run() error {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		return fmt.Errorf("locating sigs.k8s.io/gateway-api: %w", err)
	}
	gwapi := filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "experimental")
	if err := copyYAML(filepath.Join("..", "..", "config", "crd", "bases"), filepath.Join("crds", "envoygateway")); err != nil {
		return err
	}
	return copyYAML(gwapi, filepath.Join("crds", "gatewayapi"))
}

// copyYAML replaces every *.yaml file of dst by those of src.
func copyYAML(src, dst string) error {
	old, _ := filepath.Glob(filepath.Join(dst, "*.yaml"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(src, "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no YAML files in %s", src)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
