package tlssock_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/test/dataplane/internal/testpki"
	"github.com/envoygw/envoy-gateway/test/dataplane/tlssock"
)

func inline(b []byte) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
}

func file(name string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: name}}
}

// handshake runs a TLS handshake over a loopback TCP connection and
// returns both ends' errors and the server-side state.
func handshake(t *testing.T, client, server *tls.Config) (state tls.ConnectionState, clientErr, serverErr error) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lis.Close() }()
	var wg sync.WaitGroup
	wg.Go(func() {
		s, err := lis.Accept()
		if err != nil {
			serverErr = err
			return
		}
		defer func() { _ = s.Close() }()
		srv := tls.Server(s, server)
		serverErr = srv.Handshake()
		state = srv.ConnectionState()
	})
	c, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	cl := tls.Client(c, client)
	clientErr = cl.Handshake()
	wg.Wait()
	return state, clientErr, serverErr
}

func exact(s string) *matcherv3.StringMatcher {
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s}}
}

func TestClientVerification(t *testing.T) {
	ca, other := testpki.NewCA(t, "ca"), testpki.NewCA(t, "other")
	serverPair := ca.Issue(t, testpki.Options{DNSNames: []string{"*.example.com"}})
	files := map[string][]byte{"/ca.crt": ca.PEM, "/other.crt": other.PEM}
	read := func(p string) ([]byte, error) {
		if b, ok := files[p]; ok {
			return b, nil
		}
		return nil, errors.New("no such file")
	}
	validation := func(ca string, sans ...string) *tlsv3.CertificateValidationContext {
		vc := &tlsv3.CertificateValidationContext{TrustedCa: file(ca)}
		for _, s := range sans {
			vc.MatchTypedSubjectAltNames = append(vc.MatchTypedSubjectAltNames,
				&tlsv3.SubjectAltNameMatcher{SanType: tlsv3.SubjectAltNameMatcher_DNS, Matcher: exact(s)})
		}
		return vc
	}
	tests := []struct {
		name    string
		vc      *tlsv3.CertificateValidationContext
		wantErr string
	}{
		{"no trusted CA: no verification", nil, ""},
		{"trusted CA", validation("/ca.crt"), ""},
		{"other CA", validation("/other.crt"), "certificate verify failed"},
		{"SAN matches a wildcard certificate", validation("/ca.crt", "xds.example.com"), ""},
		{"SAN does not match", validation("/ca.crt", "xds.example.org"), "no subject alternative name matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tlssock.NewClient(&tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
				ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: tt.vc},
			}}, read, "ctx")
			if err != nil {
				t.Fatal(err)
			}
			server := &tls.Config{Certificates: []tls.Certificate{serverPair.TLS(t)}}
			_, clientErr, _ := handshake(t, c.Config(), server)
			if tt.wantErr == "" && clientErr != nil || tt.wantErr != "" && (clientErr == nil || !strings.Contains(clientErr.Error(), tt.wantErr)) {
				t.Fatalf("client handshake error = %v, want %q", clientErr, tt.wantErr)
			}
		})
	}
}

// TestClientPresentsCertificate checks that an upstream context's
// certificate is sent whenever the server asks, as Envoy does, even when the
// server names only CAs that did not issue it.
func TestClientPresentsCertificate(t *testing.T) {
	ca, other := testpki.NewCA(t, "ca"), testpki.NewCA(t, "other")
	serverPair := ca.Issue(t, testpki.Options{DNSNames: []string{"a.test"}})
	clientPair := ca.Issue(t, testpki.Options{CommonName: "client", Client: true})
	c, err := tlssock.NewClient(&tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
		TlsCertificates: []*tlsv3.TlsCertificate{{CertificateChain: inline(clientPair.CertPEM), PrivateKey: inline(clientPair.KeyPEM)}},
	}}, nil, "ctx")
	if err != nil {
		t.Fatal(err)
	}
	for name, acceptable := range map[string][]byte{"issuing CA named": ca.PEM, "only another CA named": other.PEM} {
		t.Run(name, func(t *testing.T) {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(acceptable)
			server := &tls.Config{Certificates: []tls.Certificate{serverPair.TLS(t)}, ClientAuth: tls.RequestClientCert, ClientCAs: pool}
			state, cErr, sErr := handshake(t, c.Config(), server)
			if cErr != nil || sErr != nil {
				t.Fatalf("handshake: client %v, server %v", cErr, sErr)
			}
			if len(state.PeerCertificates) != 1 || state.PeerCertificates[0].Subject.CommonName != "client" {
				t.Fatalf("server saw %d client certificates, want the one named client", len(state.PeerCertificates))
			}
		})
	}
}

func TestClientRejects(t *testing.T) {
	tests := []struct {
		name    string
		ctx     *tlsv3.UpstreamTlsContext
		wantErr string
	}{
		{"SAN matchers without CA", &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
				MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{{SanType: tlsv3.SubjectAltNameMatcher_DNS, Matcher: exact("a")}},
			}},
		}}, "requires trusted_ca"},
		{"min above max", &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsParams: &tlsv3.TlsParameters{TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_3},
		}}, "ctx.common_tls_context.tls_params: invalid: tls_minimum_protocol_version TLS 1.3 is above tls_maximum_protocol_version TLS 1.2"},
		{"unreadable file", &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificates: []*tlsv3.TlsCertificate{{CertificateChain: file("/nope"), PrivateKey: file("/nope")}},
		}}, "ctx.common_tls_context.tls_certificates[0].certificate_chain: reading /nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tlssock.NewClient(tt.ctx, func(string) ([]byte, error) { return nil, errors.New("no") }, "ctx")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewClient error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// secrets is an SDS store for tests.
type secrets map[string]*tls.Certificate

func (s secrets) Certificate(name string) (*tls.Certificate, bool) {
	c, ok := s[name]
	return c, ok
}

func downstream(names []string, alpn ...string) *tlsv3.DownstreamTlsContext {
	common := &tlsv3.CommonTlsContext{AlpnProtocols: alpn}
	for _, n := range names {
		common.TlsCertificateSdsSecretConfigs = append(common.TlsCertificateSdsSecretConfigs, &tlsv3.SdsSecretConfig{Name: n})
	}
	return &tlsv3.DownstreamTlsContext{CommonTlsContext: common}
}

func TestServerCertificateSelection(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	store := secrets{}
	add := func(name string, kt testpki.KeyType, dns ...string) {
		c := ca.Issue(t, testpki.Options{DNSNames: dns, Key: kt}).TLS(t)
		store[name] = &c
	}
	add("rsa-wild", testpki.RSA, "*.example.com")
	add("rsa-foo", testpki.RSA, "foo.example.com")
	add("ec-foo", testpki.ECDSA, "foo.example.com")
	add("ec-bar", testpki.ECDSA, "bar.example.org")
	srv, err := tlssock.NewServer(downstream([]string{"rsa-wild", "rsa-foo", "ec-foo", "ec-bar"}), store, nil, "ctx")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		sni     string
		rsaOnly bool
		want    string
	}{
		{"exact SNI, ECDSA preferred", "foo.example.com", false, "foo.example.com"},
		{"exact SNI, RSA-only client", "foo.example.com", true, "foo.example.com"},
		{"wildcard SNI", "baz.example.com", false, "*.example.com"},
		{"no match: first ECDSA of all", "nope.test", false, "foo.example.com"},
		{"no SNI, RSA-only client: first RSA", "", true, "*.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &tls.Config{InsecureSkipVerify: true, ServerName: tt.sni, MaxVersion: tls.VersionTLS12} //nolint:gosec // test
			if tt.rsaOnly {
				client.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
			}
			var got *tls.ConnectionState
			client.VerifyConnection = func(cs tls.ConnectionState) error { got = &cs; return nil }
			if _, cErr, sErr := handshake(t, client, srv.Config()); cErr != nil || sErr != nil {
				t.Fatalf("handshake: client %v, server %v", cErr, sErr)
			}
			leaf := got.PeerCertificates[0]
			if leaf.DNSNames[0] != tt.want {
				t.Errorf("server certificate = %v, want %s", leaf.DNSNames, tt.want)
			}
			if tt.rsaOnly && leaf.PublicKeyAlgorithm.String() != "RSA" {
				t.Errorf("RSA-only client got a %s certificate", leaf.PublicKeyAlgorithm)
			}
		})
	}
}

func TestServerALPNAndMissingSecret(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	c := ca.Issue(t, testpki.Options{DNSNames: []string{"a.test"}}).TLS(t)
	srv, err := tlssock.NewServer(downstream([]string{"s"}, "h2", "http/1.1"), secrets{"s": &c}, nil, "ctx")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		offer []string
		want  string
	}{
		{[]string{"http/1.1", "h2"}, "h2"},
		{[]string{"http/1.1"}, "http/1.1"},
		{[]string{"spdy/3"}, ""}, // no overlap: no ALPN, the handshake succeeds
		{nil, ""},
	}
	for _, tt := range tests {
		client := &tls.Config{InsecureSkipVerify: true, NextProtos: tt.offer} //nolint:gosec // test
		state, cErr, sErr := handshake(t, client, srv.Config())
		if cErr != nil || sErr != nil {
			t.Fatalf("offer %v: client %v, server %v", tt.offer, cErr, sErr)
		}
		if state.NegotiatedProtocol != tt.want {
			t.Errorf("offer %v: negotiated %q, want %q", tt.offer, state.NegotiatedProtocol, tt.want)
		}
	}

	missing, err := tlssock.NewServer(downstream([]string{"absent"}), secrets{}, nil, "ctx")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, sErr := handshake(t, &tls.Config{InsecureSkipVerify: true}, missing.Config()); sErr == nil { //nolint:gosec // test
		t.Error("handshake succeeded without the SDS secret")
	}
}

func TestServerVersionsAndClientCertificates(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	c := ca.Issue(t, testpki.Options{DNSNames: []string{"a.test"}}).TLS(t)
	clientCert := ca.Issue(t, testpki.Options{CommonName: "client", Client: true}).TLS(t)
	store := secrets{"s": &c}

	ctx := downstream([]string{"s"})
	ctx.CommonTlsContext.TlsParams = &tlsv3.TlsParameters{TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_3}
	srv, err := tlssock.NewServer(ctx, store, nil, "ctx")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, sErr := handshake(t, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}, srv.Config()); sErr == nil { //nolint:gosec // test
		t.Error("TLS 1.2 client accepted by a TLS 1.3-only server")
	}

	mtls := downstream([]string{"s"})
	mtls.CommonTlsContext.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{
		ValidationContext: &tlsv3.CertificateValidationContext{TrustedCa: inline(ca.PEM)},
	}
	mtls.RequireClientCertificate = wrapBool(true)
	srv, err = tlssock.NewServer(mtls, store, nil, "ctx")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, sErr := handshake(t, &tls.Config{InsecureSkipVerify: true}, srv.Config()); sErr == nil { //nolint:gosec // test
		t.Error("handshake without a client certificate accepted")
	}
	withCert := &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{clientCert}} //nolint:gosec // test
	if _, cErr, sErr := handshake(t, withCert, srv.Config()); cErr != nil || sErr != nil {
		t.Errorf("handshake with a client certificate: client %v, server %v", cErr, sErr)
	}
}

func wrapBool(b bool) *wrapperspb.BoolValue { return wrapperspb.Bool(b) }
