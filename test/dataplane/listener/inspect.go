package listener

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"time"
)

// Transport protocols the listener reports to filter chain matching.
const (
	transportTLS = "tls"
	transportRaw = "raw_buffer"
)

// listenerFiltersTimeout is Envoy's listener_filters_timeout default:
// a connection whose listener filters have not finished by then is
// closed (continue_on_listener_filters_timeout is false).
const listenerFiltersTimeout = 15 * time.Second

// connInfo is what filter chain matching looks at.
type connInfo struct {
	dstPort   uint32
	sni       string
	transport string
	alpn      []string
}

var errHelloSeen = errors.New("client hello seen")

// inspect is the tls_inspector listener filter: it reads the first bytes
// of the connection and, when they are a TLS ClientHello, reports the
// transport protocol "tls", the server name and the ALPN protocols. The
// bytes read are replayed to whoever reads the returned connection. ok
// is false when the connection must be closed (it ended or timed out
// before the filter could decide).
func inspect(conn net.Conn) (out net.Conn, info connInfo, ok bool) {
	rec := &recorder{conn: conn}
	_ = conn.SetReadDeadline(time.Now().Add(listenerFiltersTimeout))
	defer func() { _ = conn.SetReadDeadline(time.Time{}) }()
	info.transport = transportRaw
	var first [1]byte
	if _, err := io.ReadFull(rec, first[:]); err != nil {
		return nil, info, false
	}
	// A TLS record starts with the handshake content type (22); anything
	// else is not TLS, decided on the first byte as the inspector does.
	if first[0] == 22 {
		var hello *tls.ClientHelloInfo
		probe := &replayConn{Conn: conn, prefix: bytes.NewReader(first[:]), reader: rec, discardWrites: true}
		srv := tls.Server(probe, &tls.Config{
			GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
				hello = h
				return nil, errHelloSeen
			},
		})
		err := srv.Handshake()
		var ne net.Error
		switch {
		case hello != nil:
			info.transport = transportTLS
			info.sni = strings.ToLower(hello.ServerName)
			info.alpn = append([]string(nil), hello.SupportedProtos...)
		case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, info, false
		}
	}
	return &replayConn{Conn: conn, prefix: bytes.NewReader(rec.buf.Bytes())}, info, true
}

// recorder keeps every byte read from conn.
type recorder struct {
	conn net.Conn
	buf  bytes.Buffer
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.conn.Read(p)
	r.buf.Write(p[:n])
	return n, err
}

// replayConn reads prefix before the connection itself. With
// discardWrites, writes go nowhere (the inspector's throw-away TLS
// server must not answer the client).
type replayConn struct {
	net.Conn
	prefix        *bytes.Reader
	discardWrites bool
	reader        io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) {
	if c.prefix.Len() > 0 {
		return c.prefix.Read(p)
	}
	if c.reader != nil {
		return c.reader.Read(p)
	}
	return c.Conn.Read(p)
}

func (c *replayConn) Write(p []byte) (int, error) {
	if c.discardWrites {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite half-closes the underlying connection when it can.
func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}
