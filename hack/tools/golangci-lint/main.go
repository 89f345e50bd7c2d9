// Command golangci-lint is golangci-lint v2.13.1 with the logcheck module
// plugin compiled in. `golangci-lint custom` clones from GitHub, which this
// project's machines cannot reach; this wrapper builds the same binary from
// the Go module proxy.
package main

import (
	"fmt"
	"os"

	"github.com/golangci/golangci-lint/v2/pkg/commands"
	"github.com/golangci/golangci-lint/v2/pkg/exitcodes"
	_ "sigs.k8s.io/logtools/logcheck/gclplugin" // registers the logcheck linter
)

func main() {
	info := commands.BuildInfo{Version: "2.13.1", Commit: "envoy-gateway wrapper", Date: "(unknown)", GoVersion: "go"}
	if err := commands.Execute(info); err != nil {
		fmt.Fprintln(os.Stderr, "golangci-lint:", err)
		os.Exit(exitcodes.Failure)
	}
}
