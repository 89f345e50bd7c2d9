package cmd

import (
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/envoygw/envoy-gateway/internal/crypto"
	"github.com/envoygw/envoy-gateway/internal/infra/certs"
)

// newCertgenCommand returns the certgen command: it generates the CA, server
// and client certificates of the xDS mTLS connection and writes them to a
// directory (see crypto.Certificates.WriteDir for the layout).
func newCertgenCommand() *cobra.Command {
	var (
		outDir    string
		dnsNames  []string
		ips       []net.IP
		clientCN  string
		validity  time.Duration
		caValid   time.Duration
		overwrite bool
		inCluster bool
		namespace string
	)
	cmd := &cobra.Command{
		Use:   "certgen",
		Short: "Generate the certificates of the xDS mTLS connection",
		Long: "Generate a CA, an xDS server certificate and a proxy client certificate (ECDSA P-256) and write " +
			"them as PEM files: <out-dir>/server/{ca.crt,tls.crt,tls.key} for the xdsServer.tls settings and " +
			"<out-dir>/client/{ca.crt,tls.crt,tls.key} for the proxies. The CA key is not kept. With " +
			"--kubernetes, store them instead as the kubernetes.io/tls Secrets envoy-gateway-xds-server and " +
			"envoy-xds-client in --namespace, unless both exist already.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			certs, err := crypto.Generate(crypto.Options{
				ServerDNSNames:   dnsNames,
				ServerIPs:        ips,
				ClientCommonName: clientCN,
				Validity:         validity,
				CAValidity:       caValid,
			})
			if err != nil {
				return err
			}
			if inCluster {
				return storeInCluster(cmd, namespace, certs)
			}
			if err := certs.WriteDir(outDir, overwrite); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s and %s\n",
				filepath.Join(outDir, crypto.ServerDir), filepath.Join(outDir, crypto.ClientDir))
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&outDir, "out-dir", "certs", "directory to write the certificates to")
	f.StringSliceVar(&dnsNames, "dns-names", crypto.DefaultServerDNSNames, "DNS names of the xDS server certificate")
	f.IPSliceVar(&ips, "ip-addresses", crypto.DefaultServerIPs, "IP addresses of the xDS server certificate")
	f.StringVar(&clientCN, "client-common-name", crypto.DefaultClientCommonName, "common name of the proxies' client certificate")
	f.DurationVar(&validity, "validity", crypto.DefaultValidity, "validity of the server and client certificates")
	f.DurationVar(&caValid, "ca-validity", crypto.DefaultCAValidity, "validity of the CA")
	f.BoolVar(&overwrite, "overwrite", false, "replace existing certificate files")
	f.BoolVar(&inCluster, "kubernetes", false, "store the certificates as Secrets in the cluster instead of files")
	f.StringVar(&namespace, "namespace", "envoy-gateway-system", "namespace of the Secrets (with --kubernetes)")
	return cmd
}

// storeInCluster creates the xDS Secrets unless they exist.
func storeInCluster(cmd *cobra.Command, namespace string, c *crypto.Certificates) error {
	restCfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("no cluster configuration: %w", err)
	}
	cl, err := client.New(restCfg, client.Options{})
	if err != nil {
		return err
	}
	created, err := certs.EnsureSecrets(cmd.Context(), cl, namespace, certs.Certificates{
		CACert:     c.CA.CertPEM,
		ServerCert: c.Server.CertPEM, ServerKey: c.Server.KeyPEM,
		ClientCert: c.Client.CertPEM, ClientKey: c.Client.KeyPEM,
	})
	if err != nil {
		return err
	}
	msg := "the xDS Secrets exist already; left them as they are"
	if created {
		msg = "created the xDS Secrets in namespace " + namespace
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), msg)
	return err
}
