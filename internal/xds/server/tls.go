package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/go-logr/logr"
)

// TLSFiles name the PEM files of the server's mTLS configuration.
type TLSFiles struct {
	// CertFile is the server certificate chain.
	CertFile string
	// KeyFile is the server private key.
	KeyFile string
	// CAFile is the CA bundle client certificates must chain to.
	CAFile string
}

// tlsSource builds the server's TLS configuration from the files and reloads
// it when their content changes (certificate rotation), checked on every new
// connection. A broken rotation keeps the last good configuration.
type tlsSource struct {
	files TLSFiles
	log   logr.Logger

	mu      sync.Mutex
	content [3][]byte
	config  *tls.Config
}

func newTLSSource(files TLSFiles, log logr.Logger) (*tlsSource, error) {
	if files.CertFile == "" || files.KeyFile == "" || files.CAFile == "" {
		return nil, errors.New("tls needs certFile, keyFile and caFile (or plaintext on loopback)")
	}
	s := &tlsSource{files: files, log: log}
	if _, err := s.current(); err != nil {
		return nil, err
	}
	return s, nil
}

// serverConfig is the configuration handed to gRPC: every handshake asks
// the source for the current one.
func (s *tlsSource) serverConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return s.current()
		},
	}
}

// current returns the configuration for the files' current content.
func (s *tlsSource) current() (*tls.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var content [3][]byte
	var err error
	for i, f := range []string{s.files.CertFile, s.files.KeyFile, s.files.CAFile} {
		if content[i], err = os.ReadFile(f); err != nil {
			break
		}
	}
	if err == nil && s.config != nil && sameContent(content, s.content) {
		return s.config, nil
	}
	var cfg *tls.Config
	if err == nil {
		cfg, err = buildTLSConfig(content)
	}
	if err != nil {
		if s.config == nil {
			return nil, err
		}
		s.log.Error(err, "reloading xDS server certificates failed; keeping the previous ones")
		s.content = content // do not retry (and log) on every handshake until the files change again
		return s.config, nil
	}
	if s.config != nil {
		s.log.Info("reloaded xDS server certificates")
	}
	s.content, s.config = content, cfg
	return cfg, nil
}

func sameContent(a, b [3][]byte) bool {
	return bytes.Equal(a[0], b[0]) && bytes.Equal(a[1], b[1]) && bytes.Equal(a[2], b[2])
}

// buildTLSConfig requires TLS 1.3 and a client certificate that chains to the CA.
func buildTLSConfig(content [3][]byte) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(content[0], content[1])
	if err != nil {
		return nil, fmt.Errorf("loading xDS server certificate and key: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(content[2]) {
		return nil, errors.New("xDS client CA file holds no PEM certificate")
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		// gRPC needs HTTP/2 negotiated by ALPN; the config returned per
		// handshake does not get the "h2" gRPC adds to the base config.
		NextProtos: []string{"h2"},
	}, nil
}
