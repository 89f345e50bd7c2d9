package cmd

import (
	"github.com/spf13/cobra"
)

// NewRootCommand returns the envoy-gateway command with every subcommand.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "envoy-gateway",
		Short:         "Envoy Gateway: a Gateway API control plane for Envoy proxy",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newServerCommand(),
		newVersionCommand(),
		newCertgenCommand(),
		newTranslateCommand(),
	)
	return root
}
