package echo

import (
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"
)

// request is the JSON answer describing the request received, in the
// field names the suite's client reads.
type request struct {
	Path      string              `json:"path"`
	Host      string              `json:"host"`
	Method    string              `json:"method"`
	Proto     string              `json:"proto"`
	Headers   map[string][]string `json:"headers"`
	HTTPPort  string              `json:"httpPort"`
	Namespace string              `json:"namespace"`
	Ingress   string              `json:"ingress"`
	Service   string              `json:"service"`
	Pod       string              `json:"pod"`
	TLS       *tlsState           `json:"tls,omitempty"`
}

// tlsState describes the TLS connection a request came over.
type tlsState struct {
	Version            string   `json:"version"`
	PeerCertificates   []string `json:"peerCertificates,omitempty"`
	ServerName         string   `json:"serverName"`
	NegotiatedProtocol string   `json:"negotiatedProtocol,omitempty"`
	CipherSuite        string   `json:"cipherSuite"`
}

// handler serves the HTTP mode's paths.
type handler struct {
	cfg     Config
	retries *retries
}

// statusPath is /status/NNN.
var statusPath = regexp.MustCompile(`^/status/(\d\d\d)$`)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Doubled slashes are kept in the echoed path but do not change the route.
	path := strings.ReplaceAll(r.URL.Path, "//", "/")
	switch {
	case path == "/health":
		_, _ = io.WriteString(w, "OK")
	case strings.HasPrefix(path, "/status/"):
		code := http.StatusBadRequest
		if m := statusPath.FindStringSubmatch(r.RequestURI); m != nil {
			code, _ = strconv.Atoi(m[1])
		}
		w.WriteHeader(code)
	case strings.HasPrefix(path, "/retry/"):
		h.retries.serve(w, r, h.echo)
	case path == "/ws":
		websocket.Handler(h.echoWebSocket).ServeHTTP(w, r)
	default:
		h.echo(w, r)
	}
}

// echoWebSocket sends every WebSocket frame back, as echo-basic's /ws does.
func (h *handler) echoWebSocket(ws *websocket.Conn) {
	_, _ = fmt.Fprintf(h.cfg.Log, "established websocket connection %s\n", ws.Request().RemoteAddr)
	_, _ = io.Copy(ws, ws)
}

// echo answers with the description of the request, after ?delay=.
func (h *handler) echo(w http.ResponseWriter, r *http.Request) {
	_, _ = fmt.Fprintf(h.cfg.Log, "Echoing back request made to %s to client (%s)\n", r.RequestURI, r.RemoteAddr)
	if err := delay(r, "delay"); err != nil {
		writeError(w, err)
		return
	}
	body, err := json.MarshalIndent(request{
		Path: r.RequestURI, Host: r.Host, Method: r.Method, Proto: r.Proto, Headers: r.Header,
		HTTPPort:  strconv.Itoa(h.cfg.HTTPPort),
		Namespace: h.cfg.Namespace, Ingress: h.cfg.Ingress, Service: h.cfg.Service, Pod: h.cfg.Pod,
		TLS: describeTLS(r.TLS),
	}, "", " ")
	if err != nil {
		writeError(w, err)
		return
	}
	setEchoHeaders(w, r.Header)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}

// setEchoHeaders sets the response headers X-Echo-Set-Header lists as
// "name:value" pairs separated by commas; a repeated name gets its values
// joined with commas. Names keep their case.
func setEchoHeaders(w http.ResponseWriter, in http.Header) {
	for _, list := range in["X-Echo-Set-Header"] {
		for pair := range strings.SplitSeq(list, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(pair), ":")
			if cur := w.Header()[name]; len(cur) > 0 {
				cur[0] += "," + strings.TrimSpace(value)
			} else {
				w.Header()[name] = []string{value}
			}
		}
	}
}

// delay waits for the duration in the query parameter key, if any, or
// until the client goes away.
func delay(r *http.Request, key string) error {
	s := r.URL.Query().Get(key)
	if s == "" {
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-r.Context().Done():
		return r.Context().Err()
	}
}

// writeError answers 500 with {"message": ...}.
func writeError(w http.ResponseWriter, err error) {
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{err.Error()})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(body)
}

// describeTLS reports a TLS connection's state; nil for plaintext.
func describeTLS(cs *tls.ConnectionState) *tlsState {
	if cs == nil {
		return nil
	}
	s := &tlsState{
		Version:            tlsVersion(cs.Version),
		ServerName:         cs.ServerName,
		NegotiatedProtocol: cs.NegotiatedProtocol,
		CipherSuite:        tls.CipherSuiteName(cs.CipherSuite),
	}
	for _, c := range cs.PeerCertificates {
		s.PeerCertificates = append(s.PeerCertificates, certPEM(c.Raw))
	}
	return s
}

// certPEM encodes a DER certificate as PEM.
func certPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// serverTLS is a TLS server configuration with one certificate.
func serverTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// tlsVersion names a TLS version as OpenSSL does ("TLSv1.3").
func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1.0"
	}
	return ""
}

// retries fails the first attempts of each request id, for retry tests:
// /retry/...?uuid=<id>&succeedAfter=<n> fails n times (by resetting the
// connection, or with ?responseCode=<code>), after ?delayRetry=, and is
// echoed after that.
type retries struct {
	mu       sync.Mutex
	attempts map[string]int
}

func (rs *retries) serve(w http.ResponseWriter, r *http.Request, echo http.HandlerFunc) {
	q := r.URL.Query()
	id := q.Get("uuid")
	if id == "" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "uuid is required")
		return
	}
	after, err := strconv.Atoi(q.Get("succeedAfter"))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "succeedAfter is required")
		return
	}
	rs.mu.Lock()
	fail := rs.attempts[id] < after
	if fail {
		rs.attempts[id]++
	}
	rs.mu.Unlock()
	if !fail {
		echo(w, r)
		return
	}
	if err := delay(r, "delayRetry"); err != nil {
		writeError(w, err)
		return
	}
	if code, err := strconv.Atoi(q.Get("responseCode")); err == nil {
		w.WriteHeader(code)
		return
	}
	resetConnection(w)
}

// resetConnection aborts the request's connection with a TCP reset.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil { // HTTP/2 connections cannot be taken over
		writeError(w, err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// h2cOnly refuses requests that are not HTTP/2 (or an h2c upgrade) on the
// h2c port, as the image does.
func h2cOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 && r.Header.Get("Upgrade") != "h2c" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, "Expected h2c request")
			return
		}
		next.ServeHTTP(w, r)
	})
}
