package cmd

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCertgenWritesLoadableCertificates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	root := NewRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"certgen", "--out-dir", dir, "--dns-names", "xds.test", "--ip-addresses", "127.0.0.1", "--validity", "2h"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), filepath.Join(dir, "server")) {
		t.Errorf("output %q does not name the server folder", out.String())
	}
	server, err := tls.LoadX509KeyPair(filepath.Join(dir, "server", "tls.crt"), filepath.Join(dir, "server", "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(dir, "client", "tls.crt"), filepath.Join(dir, "client", "tls.key")); err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "client", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("client/ca.crt holds no certificate")
	}
	if _, err := server.Leaf.Verify(x509.VerifyOptions{DNSName: "xds.test", Roots: roots}); err != nil {
		t.Errorf("server certificate does not verify for xds.test against the CA: %v", err)
	}

	// Running it again without --overwrite fails and keeps the files.
	root = NewRootCommand()
	root.SetOut(&bytes.Buffer{})
	root.SetArgs([]string{"certgen", "--out-dir", dir})
	if err := root.Execute(); err == nil {
		t.Fatal("certgen replaced existing certificates without --overwrite")
	}
}
