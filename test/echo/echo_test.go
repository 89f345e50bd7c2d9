package echo

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	pb "sigs.k8s.io/gateway-api/conformance/echo-basic/grpcechoserver"

	"github.com/envoygw/envoy-gateway/internal/crypto"
)

// syncBuffer is a log writer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a server on 127.0.0.1 with free ports.
func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg.Addr = netip.MustParseAddr("127.0.0.1")
	s, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func addr(t *testing.T, s *Server, name string) string {
	t.Helper()
	a, ok := s.Addr(name)
	if !ok {
		t.Fatalf("no %s listener", name)
	}
	return a.String()
}

func TestConfigFromEnv(t *testing.T) {
	files := map[string]string{"/s/crt": "CERT", "/s/key": "KEY", "/s/ca": "CA"}
	read := func(p string) ([]byte, error) {
		if v, ok := files[p]; ok {
			return []byte(v), nil
		}
		return nil, errors.New("no such file")
	}
	c, err := ConfigFromEnv(map[string]string{"POD_NAME": "p", "NAMESPACE": "ns", "TLS_SERVER_CERT": "/s/crt",
		"TLS_SERVER_PRIVKEY": "/s/key", "TLS_CLIENT_CACERTS": "/s/ca", "HTTP_PORT": "8080"}, read)
	if err != nil || c.Mode != ModeHTTP || c.HTTPPort != 8080 || c.H2CPort != 3001 || c.HTTPSPort != 8443 ||
		string(c.TLSCert) != "CERT" || string(c.TLSKey) != "KEY" || string(c.ClientCAs) != "CA" || c.Pod != "p" || c.Namespace != "ns" {
		t.Errorf("HTTP config %+v, %v", c, err)
	}
	// The TCP and gRPC modes read the key from TLS_SERVER_PRIV_KEY.
	c, err = ConfigFromEnv(map[string]string{"TCP_ECHO_SERVER": "1", "TLS_SERVER_CERT": "/s/crt", "TLS_SERVER_PRIVKEY": "/s/key"}, read)
	if err != nil || c.Mode != ModeTCP || c.TLSCert != nil {
		t.Errorf("TCP config with the HTTP key variable: %+v, %v", c, err)
	}
	c, err = ConfigFromEnv(map[string]string{"GRPC_ECHO_SERVER": "1", "TLS_SERVER_CERT": "/s/crt", "TLS_SERVER_PRIV_KEY": "/s/key"}, read)
	if err != nil || c.Mode != ModeGRPC || string(c.TLSKey) != "KEY" {
		t.Errorf("gRPC config %+v, %v", c, err)
	}
	c, err = ConfigFromEnv(map[string]string{"UDP_ECHO_SERVER": "1", "POD_NAME": "u"}, read)
	if err != nil || c.Mode != ModeUDP || c.UDPPort != 8080 || c.Pod != "u" {
		t.Errorf("UDP config %+v, %v", c, err)
	}
	for env, want := range map[string]string{
		"UDP_ECHO_SERVER=1,UDP_PORT=0":                 "UDP_PORT",
		"HTTP_PORT=http":                               "HTTP_PORT",
		"H2C_PORT=70000":                               "H2C_PORT",
		"TLS_SERVER_CERT=/x,TLS_SERVER_PRIVKEY=/s/key": "TLS_SERVER_CERT: no such file",
	} {
		m := map[string]string{}
		for kv := range strings.SplitSeq(env, ",") {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		if _, err := ConfigFromEnv(m, read); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", env, err, want)
		}
	}
}

// getJSON sends a request and decodes the echo answer.
func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, request) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	var r request
	if resp.Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
	}
	return resp, r
}

func TestHTTP(t *testing.T) {
	log := &syncBuffer{}
	s := start(t, Config{Mode: ModeHTTP, Namespace: "ns", Pod: "web-0", Service: "web", Log: log})
	base := "http://" + addr(t, s, ListenerHTTP)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/a//b?x=1", nil)
	req.Host = "example.com"
	req.Header.Set("X-Test", "v")
	req.Header.Set("X-Echo-Set-Header", "X-Foo:bar, X-Foo:baz,X-Other:1")
	resp, r := do(t, http.DefaultClient, req)
	if resp.StatusCode != 200 || r.Path != "/a//b?x=1" || r.Host != "example.com" || r.Method != "POST" || r.Proto != "HTTP/1.1" ||
		r.Headers["X-Test"][0] != "v" || r.Namespace != "ns" || r.Pod != "web-0" || r.Service != "web" || r.HTTPPort != "0" || r.TLS != nil {
		t.Errorf("answer %d %+v", resp.StatusCode, r)
	}
	if resp.Header.Get("X-Foo") != "bar,baz" || resp.Header.Get("X-Other") != "1" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("response headers %v", resp.Header)
	}
	if !strings.Contains(log.String(), "Echoing back request made to /a//b?x=1 to client (127.0.0.1:") {
		t.Errorf("log %q", log.String())
	}
	for path, want := range map[string]int{"/health": 200, "/status/418": 418, "/status/41": 400, "/status/418x": 400, "/x?delay=10ms": 200} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
		if resp, _ := do(t, http.DefaultClient, req); resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	// /retry/ fails succeedAfter times with responseCode, then echoes.
	for i, want := range []int{503, 503, 200, 200} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/retry/x?uuid=u1&succeedAfter=2&responseCode=503", nil)
		if resp, _ := do(t, http.DefaultClient, req); resp.StatusCode != want {
			t.Errorf("retry attempt %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/retry/x?uuid=u2&succeedAfter=1", nil)
	if _, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req); err == nil {
		t.Error("the first attempt of a retry without responseCode should reset the connection")
	}
}

func TestH2C(t *testing.T) {
	s := start(t, Config{Mode: ModeHTTP, Pod: "p"})
	url := "http://" + addr(t, s, ListenerH2C) + "/h2c"
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if resp, _ := do(t, http.DefaultClient, req); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("HTTP/1.1 on the h2c port: %d, want 400", resp.StatusCode)
	}
	prior := new(http.Protocols)
	prior.SetUnencryptedHTTP2(true)
	h2c := &http.Client{Transport: &http.Transport{Protocols: prior}}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if resp, r := do(t, h2c, req); resp.StatusCode != 200 || r.Proto != "HTTP/2.0" || r.Pod != "p" {
		t.Errorf("h2c prior knowledge: %d %+v", resp.StatusCode, r)
	}
}

// testCerts issues a server certificate for 127.0.0.1 and a client certificate.
func testCerts(t *testing.T) *crypto.Certificates {
	t.Helper()
	c, err := crypto.Generate(crypto.Options{ServerDNSNames: []string{"echo.example"}, ServerIPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHTTPS(t *testing.T) {
	certs := testCerts(t)
	s := start(t, Config{Mode: ModeHTTP, Pod: "p", TLSCert: certs.Server.CertPEM, TLSKey: certs.Server.KeyPEM, ClientCAs: certs.CA.CertPEM})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certs.CA.CertPEM)
	client, err := tls.X509KeyPair(certs.Client.CertPEM, certs.Client.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, ServerName: "echo.example", Certificates: []tls.Certificate{client}, MinVersion: tls.VersionTLS12,
	}, ForceAttemptHTTP2: true}}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+addr(t, s, ListenerHTTPS)+"/secure", nil)
	resp, r := do(t, c, req)
	if resp.StatusCode != 200 || r.TLS == nil || r.TLS.ServerName != "echo.example" || r.TLS.Version != "TLSv1.3" ||
		r.TLS.NegotiatedProtocol != "h2" || len(r.TLS.PeerCertificates) != 1 || r.TLS.PeerCertificates[0] != string(certs.Client.CertPEM) {
		t.Errorf("HTTPS answer %d %+v", resp.StatusCode, r.TLS)
	}
}

func TestGRPC(t *testing.T) {
	s := start(t, Config{Mode: ModeGRPC, Namespace: "ns", Pod: "grpc-0"})
	conn, err := grpc.NewClient(addr(t, s, ListenerGRPC), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	c := pb.NewGrpcEchoClient(conn)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-test", "v")
	resp, err := c.EchoTwo(ctx, &pb.EchoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	a := resp.GetAssertions()
	found := false
	for _, h := range a.GetHeaders() {
		found = found || (h.GetKey() == "x-test" && h.GetValue() == "v")
	}
	if a.GetFullyQualifiedMethod() != "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/EchoTwo" || !found ||
		a.GetContext().GetPod() != "grpc-0" || a.GetContext().GetNamespace() != "ns" || a.GetAuthority() == "" {
		t.Errorf("assertions %v", a)
	}
	if _, err := c.EchoThree(t.Context(), &pb.EchoRequest{}); status.Code(err) != codes.Unimplemented {
		t.Errorf("EchoThree: %v, want Unimplemented", err)
	}
}

func TestTCP(t *testing.T) {
	s := start(t, Config{Mode: ModeTCP, Pod: "tcp-0", TCPPort: 0, TLSPort: 8443})
	conn, err := net.Dial("tcp", addr(t, s, ListenerTCP))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	r := bufio.NewReader(conn)
	line := func(send string) string {
		if send != "" {
			if _, err := io.WriteString(conn, send+"\n"); err != nil {
				t.Fatal(err)
			}
		}
		s, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(s, "\n")
	}
	if got := line(""); got+"\n" != tcpWelcome {
		t.Errorf("welcome %q", got)
	}
	var a tcpAnswer
	if err := json.Unmarshal([]byte(line("TEST")), &a); err != nil || a.Pod != "tcp-0" || a.IsTLS || a.TLSPort != "8443" {
		t.Errorf("TEST: %+v %v", a, err)
	}
	if got := line("IS_TLS"); got != "false" {
		t.Errorf("IS_TLS: %q", got)
	}
	if got := line("PING"); got != "PONG" {
		t.Errorf("PING: %q", got)
	}
}

func TestUDP(t *testing.T) {
	s := start(t, Config{Mode: ModeUDP, Namespace: "ns", Service: "udp-backend", Pod: "udp-0"})
	// Two clients: each answer goes to the datagram's own sender.
	for _, req := range []string{"first\n", strings.Repeat("x", udpMaxDatagram+10)} {
		conn, err := net.Dial("udp", addr(t, s, ListenerUDP))
		if err != nil {
			t.Fatal(err)
		}
		// A generous bound so a lost datagram fails the test instead of hanging it.
		if err := conn.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		_ = conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		var a udpAnswer
		want := udpAnswer{Request: req[:min(len(req), udpMaxDatagram)], Namespace: "ns", Service: "udp-backend", Pod: "udp-0"}
		if err := json.Unmarshal(buf[:n], &a); err != nil || a != want {
			t.Errorf("answer to %d bytes: %+v, %v", len(req), a, err)
		}
	}
}

func TestStartFails(t *testing.T) {
	if _, err := Start(t.Context(), Config{}); err == nil {
		t.Error("Start without an address succeeded")
	}
	s := start(t, Config{Mode: ModeHTTP})
	a, _ := s.Addr(ListenerHTTP)
	_, err := Start(t.Context(), Config{Mode: ModeHTTP, Addr: a.Addr(), HTTPPort: int(a.Port())})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("a busy port: %v", err)
	}
	_, err = Start(t.Context(), Config{Mode: ModeHTTP, Addr: a.Addr(), TLSCert: []byte("x"), TLSKey: []byte("y")})
	if err == nil || !strings.Contains(err.Error(), "server certificate") {
		t.Errorf("a bad certificate: %v", err)
	}
}
