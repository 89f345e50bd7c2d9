package echo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Server is a running echo server: its listeners and their goroutines.
type Server struct {
	cfg     Config
	addrs   map[string]netip.AddrPort
	closers []func(context.Context) error
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error
	// stopOnce runs the first Stop; later and concurrent calls wait for
	// it and return its error (ctx ending and an explicit Stop may race).
	stopOnce sync.Once
	stopErr  error
}

// Start binds every listener of the configured mode on cfg.Addr and
// serves until Stop or until ctx ends. It fails when a port cannot be
// bound or the TLS files do not parse.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if !cfg.Addr.IsValid() {
		return nil, errors.New("echo: Config.Addr is not set")
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	s := &Server{cfg: cfg, addrs: map[string]netip.AddrPort{}}
	var err error
	switch cfg.Mode {
	case ModeHTTP, "":
		err = s.startHTTP()
	case ModeGRPC:
		err = s.startGRPC()
	case ModeTCP:
		err = s.startTCP()
	case ModeUDP:
		err = s.startUDP()
	default:
		err = fmt.Errorf("echo: unknown mode %q", cfg.Mode)
	}
	if err != nil {
		return nil, errors.Join(err, s.Stop(context.Background()))
	}
	go func() {
		<-ctx.Done()
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(stopCtx)
	}()
	return s, nil
}

// Ready reports that the server listens: Start returns once it does.
func (s *Server) Ready() bool { return true }

// Stop closes the listeners and open connections and waits for the
// goroutines. Every call returns once the server has stopped.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	s.mu.Lock()
	closers := s.closers
	s.closers = nil
	s.mu.Unlock()
	var errs []error
	for _, c := range closers {
		errs = append(errs, c(ctx))
	}
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(append(errs, s.errs...)...)
}

// Listener names, for Addr.
const (
	ListenerHTTP  = "http"
	ListenerH2C   = "h2c"
	ListenerHTTPS = "https"
	ListenerGRPC  = "grpc"
	ListenerGRPCS = "grpc-tls"
	ListenerTCP   = "tcp"
	ListenerTLS   = "tcp-tls"
	ListenerUDP   = "udp"
)

// Addr returns the address a listener is bound to (port 0 in Config
// binds a free port).
func (s *Server) Addr(listener string) (netip.AddrPort, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.addrs[listener]
	return a, ok
}

// listen binds a TCP port on the server's address.
func (s *Server) listen(name string, port int) (net.Listener, error) {
	addr := netip.AddrPortFrom(s.cfg.Addr, uint16(port)) //nolint:gosec // checked by ConfigFromEnv
	ln, err := net.Listen("tcp", addr.String())
	if err != nil {
		return nil, fmt.Errorf("echo: %w", err)
	}
	bound := ln.Addr().(*net.TCPAddr).AddrPort()
	s.mu.Lock()
	s.addrs[name] = bound
	s.mu.Unlock()
	_, _ = fmt.Fprintf(s.cfg.Log, "Starting server, listening on %s (%s)\n", bound, name)
	return ln, nil
}

// serve runs fn until it returns, recording an unexpected error.
func (s *Server) serve(fn func() error, expected ...error) {
	s.wg.Go(func() {
		err := fn()
		for _, e := range expected {
			if errors.Is(err, e) {
				return
			}
		}
		if err != nil {
			s.mu.Lock()
			s.errs = append(s.errs, err)
			s.mu.Unlock()
		}
	})
}

// onStop registers a closer for Stop.
func (s *Server) onStop(c func(context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closers = append(s.closers, c)
}

// startHTTP serves HTTP, h2c and, with a certificate, HTTPS.
func (s *Server) startHTTP() error {
	h := &handler{cfg: s.cfg, retries: &retries{attempts: map[string]int{}}}
	if err := s.serveHTTP(ListenerHTTP, s.cfg.HTTPPort, h, nil, nil); err != nil {
		return err
	}
	h2c := new(http.Protocols)
	h2c.SetHTTP1(true)
	h2c.SetUnencryptedHTTP2(true)
	if err := s.serveHTTP(ListenerH2C, s.cfg.H2CPort, h2cOnly(http.HandlerFunc(h.echo)), h2c, nil); err != nil {
		return err
	}
	if len(s.cfg.TLSCert) == 0 || len(s.cfg.TLSKey) == 0 {
		return nil
	}
	cfg, err := s.tlsConfig()
	if err != nil {
		return err
	}
	return s.serveHTTP(ListenerHTTPS, s.cfg.HTTPSPort, h, nil, cfg)
}

// serveHTTP serves handler on port, over TLS when tlsCfg is set.
func (s *Server) serveHTTP(name string, port int, handler http.Handler, protocols *http.Protocols,
	tlsCfg *tls.Config) error {
	ln, err := s.listen(name, port)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, Protocols: protocols, TLSConfig: tlsCfg, ReadHeaderTimeout: 30 * time.Second}
	s.onStop(func(ctx context.Context) error {
		if err := srv.Shutdown(ctx); err != nil {
			return srv.Close()
		}
		return nil
	})
	if tlsCfg != nil {
		s.serve(func() error { return srv.ServeTLS(ln, "", "") }, http.ErrServerClosed)
	} else {
		s.serve(func() error { return srv.Serve(ln) }, http.ErrServerClosed)
	}
	return nil
}

// listenerStarter starts one named listener on port, over TLS when tlsCfg
// is set.
type listenerStarter func(name string, port int, tlsCfg *tls.Config) error

// servePlainAndTLS starts serve in plaintext as plainName on plainPort
// and, when the server has a certificate, over TLS (the certificate alone,
// no client certificates) as tlsName on tlsPort.
func (s *Server) servePlainAndTLS(serve listenerStarter, plainName string, plainPort int,
	tlsName string, tlsPort int) error {
	if err := serve(plainName, plainPort, nil); err != nil {
		return err
	}
	if len(s.cfg.TLSCert) == 0 || len(s.cfg.TLSKey) == 0 {
		return nil
	}
	cert, err := tls.X509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
	if err != nil {
		return fmt.Errorf("echo: server certificate: %w", err)
	}
	return serve(tlsName, tlsPort, serverTLS(cert))
}

// tlsConfig is the HTTPS configuration: the server certificate, and
// optional client certificates verified against ClientCAs.
func (s *Server) tlsConfig() (*tls.Config, error) {
	cert, err := tls.X509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("echo: server certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if len(s.cfg.ClientCAs) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(s.cfg.ClientCAs) {
			return nil, errors.New("echo: TLS_CLIENT_CACERTS holds no PEM certificate")
		}
		cfg.ClientAuth, cfg.ClientCAs = tls.VerifyClientCertIfGiven, pool
	}
	return cfg, nil
}
