// Command envoy-gateway is the Envoy Gateway control plane.
package main

import (
	"fmt"
	"os"

	"github.com/envoygw/envoy-gateway/internal/cmd"
)

func main() {
	if err := cmd.NewRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
