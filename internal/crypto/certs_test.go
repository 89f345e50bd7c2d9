package crypto

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parseCert(t *testing.T, p []byte) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode(p)
	if block == nil || block.Type != "CERTIFICATE" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("not a single PEM certificate: %q", p)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGenerateDefaults(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	certs, err := Generate(Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ca := parseCert(t, certs.CA.CertPEM)
	if !ca.IsCA || ca.Subject.CommonName != DefaultCACommonName || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA: IsCA=%v CN=%q usage=%v", ca.IsCA, ca.Subject.CommonName, ca.KeyUsage)
	}
	if got, want := ca.NotAfter, now.Add(DefaultCAValidity); !got.Equal(want) {
		t.Errorf("CA NotAfter = %v, want %v", got, want)
	}
	pub, ok := ca.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key is %T, want ECDSA P-256", ca.PublicKey)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	server := parseCert(t, certs.Server.CertPEM)
	for _, name := range DefaultServerDNSNames {
		if _, err := server.Verify(x509.VerifyOptions{
			DNSName: name, Roots: roots, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}); err != nil {
			t.Errorf("server certificate for %q: %v", name, err)
		}
	}
	if err := server.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("server certificate for 127.0.0.1: %v", err)
	}
	if got, want := server.NotAfter, now.Add(DefaultValidity); !got.Equal(want) {
		t.Errorf("server NotAfter = %v, want %v", got, want)
	}
	if !server.NotBefore.Before(now) {
		t.Errorf("server NotBefore %v is not before the issuing time %v", server.NotBefore, now)
	}

	client := parseCert(t, certs.Client.CertPEM)
	if client.Subject.CommonName != DefaultClientCommonName {
		t.Errorf("client CN = %q", client.Subject.CommonName)
	}
	if _, err := client.Verify(x509.VerifyOptions{
		Roots: roots, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	// The client certificate must not pass as a server certificate, and the
	// other way round.
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("client certificate verifies for server auth")
	}
	if _, err := server.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("server certificate verifies for client auth")
	}

	for name, pair := range map[string]KeyPair{"server": certs.Server, "client": certs.Client, "ca": certs.CA} {
		if _, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM); err != nil {
			t.Errorf("%s key does not match its certificate: %v", name, err)
		}
	}
	if server.SerialNumber.Cmp(client.SerialNumber) == 0 {
		t.Error("server and client certificates share a serial number")
	}
}

func TestGenerateCustomSANs(t *testing.T) {
	certs, err := Generate(Options{
		ServerDNSNames: []string{"xds.example.com"},
		ServerIPs:      []net.IP{net.ParseIP("10.1.2.3")},
		Validity:       time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	server := parseCert(t, certs.Server.CertPEM)
	if len(server.DNSNames) != 1 || server.DNSNames[0] != "xds.example.com" {
		t.Errorf("DNS names = %v", server.DNSNames)
	}
	if len(server.IPAddresses) != 1 || !server.IPAddresses[0].Equal(net.ParseIP("10.1.2.3")) {
		t.Errorf("IP addresses = %v", server.IPAddresses)
	}
	if err := server.VerifyHostname("localhost"); err == nil {
		t.Error("custom SANs still include the default localhost")
	}
	if d := server.NotAfter.Sub(server.NotBefore); d != time.Hour+clockSkew {
		t.Errorf("validity = %v, want 1h plus %v of clock skew", d, clockSkew)
	}
}

func TestGenerateRejectsBadValidity(t *testing.T) {
	for name, o := range map[string]Options{
		"negative":        {Validity: -time.Hour},
		"longer than CA":  {Validity: 48 * time.Hour, CAValidity: 24 * time.Hour},
		"negative for CA": {CAValidity: -time.Hour},
	} {
		if _, err := Generate(o); err == nil {
			t.Errorf("%s: Generate accepted validity %v / CA %v", name, o.Validity, o.CAValidity)
		}
	}
}

func TestWriteDir(t *testing.T) {
	certs, err := Generate(Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "certs")
	if err := certs.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		content []byte
		mode    os.FileMode
	}{
		"server/ca.crt":  {certs.CA.CertPEM, 0o644},
		"server/tls.crt": {certs.Server.CertPEM, 0o644},
		"server/tls.key": {certs.Server.KeyPEM, 0o600},
		"client/ca.crt":  {certs.CA.CertPEM, 0o644},
		"client/tls.crt": {certs.Client.CertPEM, 0o644},
		"client/tls.key": {certs.Client.KeyPEM, 0o600},
	}
	var found []string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		found = append(found, rel)
		w, ok := want[rel]
		if !ok {
			t.Errorf("unexpected file %s", rel)
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if string(b) != string(w.content) {
			t.Errorf("%s: content differs", rel)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm() != w.mode {
			t.Errorf("%s: mode %v, want %v", rel, info.Mode().Perm(), w.mode)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != len(want) {
		t.Errorf("wrote %v, want %d files", found, len(want))
	}

	// A second run refuses to overwrite and changes nothing.
	other, err := Generate(Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = other.WriteDir(dir, false)
	if err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("WriteDir over existing files: err = %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "server", "tls.crt")); string(b) != string(certs.Server.CertPEM) {
		t.Error("refused WriteDir still replaced server/tls.crt")
	}
	if err := other.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "client", "tls.key")); string(b) != string(other.Client.KeyPEM) {
		t.Error("WriteDir with overwrite did not replace client/tls.key")
	}
}
