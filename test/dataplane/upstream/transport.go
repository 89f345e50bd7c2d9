package upstream

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// idleTimeout is Envoy's upstream connection idle_timeout default.
const idleTimeout = time.Hour

// protocol is a cluster's upstream HTTP protocol.
type protocol struct {
	http2                     bool
	pingInterval, pingTimeout time.Duration
}

// ConnectError is a failed upstream connection, worded as Envoy's router
// words the reset: Reason is the reset reason ("remote connection
// failure", "connection timeout"), TransportFailure the transport failure
// reason (may be empty).
type ConnectError struct {
	Reason           string
	TransportFailure string
	Err              error
}

func (e *ConnectError) Error() string {
	if e.TransportFailure == "" {
		return e.Reason
	}
	return e.Reason + ", transport failure reason: " + e.TransportFailure
}

func (e *ConnectError) Unwrap() error { return e.Err }

// transport holds a cluster's connection pools.
type transport struct {
	c    *Cluster
	http *http.Transport
}

func newTransport(c *Cluster) *transport {
	t := &transport{c: c}
	protocols := &http.Protocols{}
	switch {
	case !c.protocol.http2:
		protocols.SetHTTP1(true)
	case c.tls != nil:
		protocols.SetHTTP2(true)
	default:
		protocols.SetUnencryptedHTTP2(true)
	}
	t.http = &http.Transport{
		DialContext:         func(ctx context.Context, _, addr string) (net.Conn, error) { return t.dial(ctx, addr) },
		Protocols:           protocols,
		DisableCompression:  true,
		IdleConnTimeout:     idleTimeout,
		MaxIdleConnsPerHost: 1024,
		HTTP2: &http.HTTP2Config{
			SendPingTimeout: c.protocol.pingInterval,
			PingTimeout:     c.protocol.pingTimeout,
		},
	}
	if c.tls != nil {
		t.http.DialTLSContext = func(ctx context.Context, _, addr string) (net.Conn, error) { return t.dialTLS(ctx, addr) }
	}
	return t
}

func (t *transport) closeIdle() { t.http.CloseIdleConnections() }

// dial connects to addr within the connect timeout.
func (t *transport) dial(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: t.c.connectTimeout}
	network := "tcp"
	if path, ok := pipePath(addr); ok {
		network, addr = "unix", path
	}
	conn, err := d.DialContext(ctx, network, addr)
	if err == nil {
		return conn, nil
	}
	if ctx.Err() != nil {
		return nil, err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil, &ConnectError{Reason: "connection timeout", Err: err}
	}
	return nil, &ConnectError{Reason: "remote connection failure",
		TransportFailure: "delayed connect error: " + errnoText(err), Err: err}
}

// dialTLS connects and completes the TLS handshake with the cluster's
// UpstreamTlsContext ("h2" offered by ALPN to an HTTP/2 cluster whose
// context lists no protocol, as Envoy does).
func (t *transport) dialTLS(ctx context.Context, addr string) (net.Conn, error) {
	raw, err := t.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	var fallback []string
	if t.c.protocol.http2 {
		fallback = []string{"h2"}
	}
	conn := tls.Client(raw, t.c.tls.Config(fallback...))
	hctx, cancel := context.WithTimeout(ctx, t.c.connectTimeout)
	defer cancel()
	if err := conn.HandshakeContext(hctx); err != nil {
		_ = raw.Close()
		return nil, &ConnectError{Reason: "remote connection failure",
			TransportFailure: "TLS error: " + err.Error(), Err: err}
	}
	return conn, nil
}

// DialTCP connects to a host of the cluster for tcp_proxy, through the
// cluster's transport socket.
func (c *Cluster) DialTCP(ctx context.Context, h *Host) (net.Conn, error) {
	if c.tls != nil {
		return c.transport.dialTLS(ctx, h.Address)
	}
	return c.transport.dial(ctx, h.Address)
}

// HTTPTransport is the cluster's HTTP connection pool; requests must carry
// the chosen host in URL.Host.
func (c *Cluster) HTTPTransport() *http.Transport { return c.transport.http }

// errnoText is strerror of a connect error's errno, as Envoy prints it
// ("Connection refused").
func errnoText(err error) string {
	if errno, ok := errors.AsType[syscall.Errno](err); ok {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// URLScheme is the scheme of request URLs for the cluster's transport:
// "https" when it has a TLS transport socket.
func (c *Cluster) URLScheme() string {
	if c.tls != nil {
		return "https"
	}
	return "http"
}
