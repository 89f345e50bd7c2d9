package hcm

import (
	"context"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// Envoy's connection manager defaults the Go server reproduces.
const (
	// idleTimeout is the HCM's common_http_protocol_options.idle_timeout
	// default (1 h).
	idleTimeout = time.Hour
	// maxRequestHeaderBytes is max_request_headers_kb's default (60 KiB).
	maxRequestHeaderBytes = 60 << 10
	// maxConcurrentStreams is Envoy's HTTP/2 max_concurrent_streams default.
	maxConcurrentStreams = 1<<31 - 1
)

// Server serves the connections of one filter chain with a connection
// manager: HTTP/1.1, HTTP/2 over TLS by ALPN, and h2c with prior
// knowledge on plaintext, as codec_type allows.
type Server struct {
	srv  *http.Server
	lis  *connListener
	done chan struct{}
}

// NewServer starts serving h on connections handed to Serve. tls says
// whether they are TLS connections (*tls.Conn, not yet handshaken).
func NewServer(h *Handler, tls bool, logger logr.Logger) *Server {
	p := &http.Protocols{}
	switch h.cfg.Codec {
	case CodecHTTP1:
		p.SetHTTP1(true)
	case CodecHTTP2:
		p.SetHTTP2(tls)
		p.SetUnencryptedHTTP2(!tls)
	default:
		p.SetHTTP1(true)
		p.SetHTTP2(tls)
		p.SetUnencryptedHTTP2(!tls)
	}
	s := &Server{
		srv: &http.Server{
			Handler:        h,
			Protocols:      p,
			IdleTimeout:    idleTimeout,
			MaxHeaderBytes: maxRequestHeaderBytes,
			HTTP2:          &http.HTTP2Config{MaxConcurrentStreams: maxConcurrentStreams},
			ErrorLog:       newErrorLog(logger),
			// "OPTIONS *" is the router's business (a 404), not Go's.
			DisableGeneralOptionsHandler: true,
		},
		lis:  newConnListener(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(s.lis)
	}()
	return s
}

// Serve hands a connection to the server; false when it is closed.
func (s *Server) Serve(c net.Conn) bool { return s.lis.push(c) }

// Drain stops taking connections and lets those open finish their
// requests: HTTP/1.1 connections close after their current response (idle
// ones at once), HTTP/2 ones get a GOAWAY; whatever is still open after
// drainTime is closed.
func (s *Server) Drain(drainTime time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), drainTime)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.done
}

// Close closes every connection at once.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}

// connListener is a net.Listener fed with connections the listener
// accepted and matched to this filter chain.
type connListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newConnListener() *connListener {
	return &connListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *connListener) push(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *connListener) Addr() net.Addr { return &net.TCPAddr{} }

// newErrorLog sends the Go server's own messages (handshake failures,
// malformed requests) to the logger at V(1).
func newErrorLog(l logr.Logger) *log.Logger {
	return log.New(logWriter{l}, "", 0)
}

type logWriter struct{ l logr.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.V(1).Info(string(p))
	return len(p), nil
}
