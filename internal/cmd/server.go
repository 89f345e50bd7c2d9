package cmd

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/envoygw/envoy-gateway/internal/config"
	"github.com/envoygw/envoy-gateway/internal/controlplane"
	"github.com/envoygw/envoy-gateway/internal/logging"
)

func newServerCommand() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the control plane",
		Long: "Run the control plane: watch Gateway API resources through the configured provider, " +
			"serve xDS to Envoy, run the Envoy fleets and report status. Without --config-path the " +
			"defaults apply (Kubernetes provider).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configPath)
			if err != nil {
				return err
			}
			log := logging.New(cfg.Logging.Level)
			ctrl.SetLogger(log)
			klog.SetLogger(log) // client-go's logs, as JSON lines like ours
			cp, err := controlplane.New(controlplane.Options{Config: cfg, Logger: log})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return cp.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&configPath, "config-path", "", "path to the EnvoyGateway static configuration file")
	return cmd
}
