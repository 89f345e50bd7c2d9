package dataplane_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/test/dataplane/internal/testpki"
)

// tlsBackend is an HTTPS echo server presenting pair.
func tlsBackend(t *testing.T, name string, pair testpki.Pair) netip.AddrPort {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair.TLS(t)}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: echoHandler(name), ReadHeaderTimeout: waitTimeout}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() { _ = srv.Close(); wg.Wait() })
	return netip.MustParseAddrPort(ln.Addr().String())
}

// h2cBackend is an echo server speaking HTTP/2 with prior knowledge only.
func h2cBackend(t *testing.T, name string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &http.Protocols{}
	p.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: echoHandler(name), Protocols: p, ReadHeaderTimeout: waitTimeout}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() { _ = srv.Close(); wg.Wait() })
	return netip.MustParseAddrPort(ln.Addr().String())
}

func cluster(name string, proto ir.AppProtocol, eps ...netip.AddrPort) *ir.Cluster {
	c := &ir.Cluster{Name: name, Discovery: ir.DiscoveryEDS, Protocol: proto}
	for _, e := range eps {
		c.Endpoints = append(c.Endpoints, &ir.Endpoint{Address: e.Addr().String(), Port: uint32(e.Port())})
	}
	return c
}

func route(name, host, prefix, cluster string) *ir.HTTPRoute {
	r := toBackend(name, host, prefix)
	r.Destination.Backends[0].Cluster = cluster
	return r
}

// TestTLSAndProtocols serves one port with a plain HTTP chain, an HTTPS
// chain terminating TLS with an SDS certificate, and a TLS passthrough
// chain (tcp_proxy), with an h2c upstream cluster: tls_inspector and
// filter chain selection, downstream HTTP/2 by ALPN and by prior
// knowledge, and upstream h2c.
func TestTLSAndProtocols(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	foo := ca.Issue(t, testpki.Options{DNSNames: []string{"foo.example.com"}})
	pass := ca.Issue(t, testpki.Options{DNSNames: []string{"pass.example.com"}})
	srv, xdsPort := xdsServer(t)
	plain, h2c, secure := backend(t, "plain"), h2cBackend(t, "h2c"), tlsBackend(t, "passthrough", pass)
	x := &ir.Xds{
		HTTP: []*ir.HTTPListener{
			{Name: "default/eg/http", Address: "0.0.0.0", Port: listenerPort, Hostnames: []string{"*"}, Routes: []*ir.HTTPRoute{
				route("h2c", "*", "/h2c", "service/default/h2c/80"),
				route("plain", "*", "/", "service/default/plain/80"),
			}},
			{Name: "default/eg/https", Address: "0.0.0.0", Port: listenerPort, Hostnames: []string{"foo.example.com"},
				TLS: &ir.TLSConfig{Certificates: []*ir.Certificate{{Name: "default/foo-cert",
					Certificate: string(foo.CertPEM), PrivateKey: string(foo.KeyPEM)}}},
				Routes: []*ir.HTTPRoute{route("secure", "foo.example.com", "/", "service/default/plain/80")}},
		},
		TLS: []*ir.TLSListener{{Name: "default/eg/tls", Address: "0.0.0.0", Port: listenerPort, Routes: []*ir.TLSRoute{{
			Name: "tlsroute/default/pass/rule/0", Hostnames: []string{"pass.example.com"},
			Destination: &ir.Destination{Backends: []*ir.WeightedCluster{{Cluster: "service/default/secure/443", Weight: 1}}},
		}}}},
		Clusters: []*ir.Cluster{
			cluster("service/default/h2c/80", ir.AppProtocolHTTP2, h2c),
			cluster("service/default/plain/80", ir.AppProtocolHTTP1, plain),
			cluster("service/default/secure/443", ir.AppProtocolHTTP1, secure),
		},
	}
	serve(t, srv, x)
	pod := podIP()
	p := startProxy(t, plainBootstrap(xdsPort), pod)
	waitReady(t, p)
	addr := netip.AddrPortFrom(pod, listenerPort).String()
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)

	t.Run("plain HTTP/1.1 and upstream h2c", func(t *testing.T) {
		r, err := get(client(t), "http://"+addr+"/h2c/x", "any")
		if err != nil || r.echo == nil || r.echo.Backend != "h2c" || r.echo.Proto != "HTTP/2.0" {
			t.Fatalf("%v %+v", err, r)
		}
	})
	t.Run("downstream h2c with prior knowledge", func(t *testing.T) {
		p := &http.Protocols{}
		p.SetUnencryptedHTTP2(true)
		c := &http.Client{Transport: &http.Transport{Protocols: p}, Timeout: waitTimeout}
		defer c.CloseIdleConnections()
		r, err := get(c, "http://"+addr+"/", "any")
		if err != nil || r.echo == nil || r.echo.Backend != "plain" || r.echo.Proto != "HTTP/1.1" {
			t.Fatalf("%v %+v", err, r)
		}
	})
	t.Run("HTTPS terminated with the SDS certificate, HTTP/2 by ALPN", func(t *testing.T) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "foo.example.com"}, ForceAttemptHTTP2: true}
		c := &http.Client{Transport: tr, Timeout: waitTimeout}
		defer c.CloseIdleConnections()
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/s", nil)
		req.Host = "foo.example.com"
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" || resp.TLS.PeerCertificates[0].DNSNames[0] != "foo.example.com" {
			t.Fatalf("status %d proto %s", resp.StatusCode, resp.Proto)
		}
	})
	t.Run("TLS passthrough to the backend's own certificate", func(t *testing.T) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "pass.example.com"}}
		c := &http.Client{Transport: tr, Timeout: waitTimeout}
		defer c.CloseIdleConnections()
		r, err := get(c, "https://"+addr+"/p", "pass.example.com")
		if err != nil || r.echo == nil || r.echo.Backend != "passthrough" {
			t.Fatalf("%v %+v", err, r)
		}
	})
	t.Run("TLS with an SNI no chain matches is closed", func(t *testing.T) {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "nope.example.com"})
		if err == nil {
			_ = conn.Close()
			t.Fatal("handshake succeeded")
		}
	})
}
