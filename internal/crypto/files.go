package crypto

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File names of a key pair, the same as the keys of a Kubernetes TLS Secret
// (type kubernetes.io/tls with the CA in ca.crt).
const (
	CAFile   = "ca.crt"
	CertFile = "tls.crt"
	KeyFile  = "tls.key"
)

// Folders of WriteDir's layout.
const (
	ServerDir = "server"
	ClientDir = "client"
)

// ServerFiles are the xDS server's files: its certificate and key, and the CA
// that client certificates must chain to.
func (c *Certificates) ServerFiles() map[string][]byte {
	return map[string][]byte{CAFile: c.CA.CertPEM, CertFile: c.Server.CertPEM, KeyFile: c.Server.KeyPEM}
}

// ClientFiles are a proxy's files: its client certificate and key, and the CA
// that the server certificate must chain to.
func (c *Certificates) ClientFiles() map[string][]byte {
	return map[string][]byte{CAFile: c.CA.CertPEM, CertFile: c.Client.CertPEM, KeyFile: c.Client.KeyPEM}
}

// WriteDir writes the certificates to dir:
//
//	dir/server/ca.crt, tls.crt, tls.key   (xdsServer.tls caFile, certFile, keyFile)
//	dir/client/ca.crt, tls.crt, tls.key   (the proxies' xDS client certificate)
//
// Keys are written with mode 0600, certificates with 0644. The CA key is not
// written. Unless overwrite is set, WriteDir refuses to replace existing files
// and writes nothing.
func (c *Certificates) WriteDir(dir string, overwrite bool) error {
	files := map[string][]byte{}
	for name, b := range c.ServerFiles() {
		files[filepath.Join(ServerDir, name)] = b
	}
	for name, b := range c.ClientFiles() {
		files[filepath.Join(ClientDir, name)] = b
	}
	names := slices.Sorted(maps.Keys(files))
	if !overwrite {
		var existing []string
		for _, n := range names {
			if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
				existing = append(existing, n)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if len(existing) > 0 {
			return fmt.Errorf("%s already holds %s; pass overwrite to replace", dir, strings.Join(existing, ", "))
		}
	}
	for _, n := range names {
		mode := fs.FileMode(0o644)
		if filepath.Base(n) == KeyFile {
			mode = 0o600
		}
		if err := writeFileAtomic(filepath.Join(dir, n), files[n], mode); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes b to a temporary file beside path and renames it, so
// a reader never sees a half-written file.
func writeFileAtomic(path string, b []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after a successful rename
	if err := tmp.Chmod(mode); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
