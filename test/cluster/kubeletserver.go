package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	"github.com/go-logr/logr"

	"github.com/envoygw/envoy-gateway/internal/crypto"
)

// KubeletPort is the port of the kubelet's HTTPS endpoint on the Node.
const KubeletPort = 10250

// kubeletCerts are the certificates between the API server and the
// kubelet endpoint: the kubelet serves Certificates.Server (for the Node's
// IP) and requires a client certificate chaining to the same CA, which the
// API server presents (Certificates.Client). Dir holds them as files:
// server/ and client/ with ca.crt, tls.crt, tls.key.
type kubeletCerts struct {
	certs *crypto.Certificates
	dir   string
}

// newKubeletCerts issues the certificates and writes them under dir.
func newKubeletCerts(dir string, nodeName string, nodeIP netip.Addr) (*kubeletCerts, error) {
	c, err := crypto.Generate(crypto.Options{
		CACommonName:     "conformance-kubelet-ca",
		ServerCommonName: nodeName,
		ServerDNSNames:   []string{nodeName},
		ServerIPs:        []net.IP{nodeIP.AsSlice()},
		ClientCommonName: "kube-apiserver-kubelet-client",
	})
	if err != nil {
		return nil, fmt.Errorf("issuing the kubelet certificates: %w", err)
	}
	if err := c.WriteDir(dir, false); err != nil {
		return nil, err
	}
	return &kubeletCerts{certs: c, dir: dir}, nil
}

// APIServerFlags are the kube-apiserver flags that make it trust the
// kubelet endpoint and authenticate to it.
func (k *kubeletCerts) APIServerFlags() map[string]string {
	client := filepath.Join(k.dir, crypto.ClientDir)
	return map[string]string{
		"kubelet-certificate-authority":   filepath.Join(client, crypto.CAFile),
		"kubelet-client-certificate":      filepath.Join(client, crypto.CertFile),
		"kubelet-client-key":              filepath.Join(client, crypto.KeyFile),
		"kubelet-preferred-address-types": "InternalIP",
	}
}

// tlsConfig is the kubelet endpoint's TLS configuration.
func (k *kubeletCerts) tlsConfig() (*tls.Config, error) {
	cert, err := tls.X509KeyPair(k.certs.Server.CertPEM, k.certs.Server.KeyPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(k.certs.CA.CertPEM) {
		return nil, errors.New("the kubelet CA certificate does not parse")
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// kubeletServer is the kubelet's HTTPS endpoint, as far as the API server
// uses it for pods/log: GET /containerLogs/{namespace}/{pod}/{container}.
type kubeletServer struct {
	srv  *http.Server
	logs *logStore
	done chan error
}

// startKubeletServer serves the endpoint on addr until stop.
func startKubeletServer(addr netip.AddrPort, certs *kubeletCerts, logs *logStore,
	log logr.Logger) (*kubeletServer, error) {
	cfg, err := certs.tlsConfig()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr.String())
	if err != nil {
		return nil, fmt.Errorf("kubelet endpoint: %w", err)
	}
	k := &kubeletServer{logs: logs, done: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", k.containerLogs)
	k.srv = &http.Server{
		Handler:           mux,
		TLSConfig:         cfg,
		ReadHeaderTimeout: 30 * time.Second,
	}
	go func() {
		err := k.srv.ServeTLS(ln, "", "")
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		if err != nil {
			log.Error(err, "Kubelet endpoint stopped")
		}
		k.done <- err
	}()
	return k, nil
}

// stop closes the endpoint.
func (k *kubeletServer) stop(ctx context.Context) error {
	err := k.srv.Shutdown(ctx)
	return errors.Join(err, <-k.done)
}

// containerLogs serves a container's log with the PodLogOptions the API
// server passes on as query parameters.
func (k *kubeletServer) containerLogs(w http.ResponseWriter, r *http.Request) {
	key := logKey{namespace: r.PathValue("namespace"), pod: r.PathValue("pod"), container: r.PathValue("container")}
	q, err := parseLogQuery(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	l, ok := k.logs.get(key)
	if !ok {
		msg := fmt.Sprintf("container %q in pod %s/%s is not running on this node", key.container, key.namespace, key.pod)
		http.Error(w, msg, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write(l.read(q))
}

// parseLogQuery reads the query parameters; follow and previous are refused
// with the reason (this kubelet keeps no terminated containers and serves
// logs as they are).
func parseLogQuery(r *http.Request) (logQuery, error) {
	v := r.URL.Query()
	set := func(name string) bool { return v.Get(name) == "true" }
	q := logQuery{tailLines: -1, limitBytes: -1, timestamps: set("timestamps")}
	if set("follow") {
		return q, errors.New("follow: streaming logs is not supported by this kubelet")
	}
	if set("previous") {
		return q, errors.New("previous: this kubelet keeps no terminated containers")
	}
	if s := v.Get("sinceTime"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return q, fmt.Errorf("sinceTime %q: %w", s, err)
		}
		q.since = t
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"sinceSeconds", nil}, {"tailLines", &q.tailLines}, {"limitBytes", &q.limitBytes}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, fmt.Errorf("%s %q: must be a non-negative integer", p.name, s)
		}
		if p.dst == nil {
			q.since = time.Now().Add(-time.Duration(n) * time.Second)
			continue
		}
		*p.dst = n
	}
	if s := v.Get("stream"); s != "" && s != "All" && s != "Stdout" {
		return q, fmt.Errorf("stream %q: this kubelet keeps stdout and stderr together; use All or Stdout", s)
	}
	return q, nil
}
