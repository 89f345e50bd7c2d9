package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check reports nil when a component is ready, or why it is not.
type Check func() error

// Server is the admin HTTP listener.
type Server struct {
	address  string
	gatherer prometheus.Gatherer
	log      logr.Logger

	mu       sync.RWMutex
	checks   map[string]Check
	mux      *http.ServeMux
	listener net.Listener
}

// Options configure the admin server.
type Options struct {
	// Address is host:port to listen on; port 0 picks a free port.
	Address string
	// Gatherer provides /metrics.
	Gatherer prometheus.Gatherer
	// EnablePprof serves net/http/pprof under /debug/pprof/.
	EnablePprof bool
	Logger      logr.Logger
}

// New returns an admin server; call Start to listen.
func New(opts Options) *Server {
	s := &Server{
		address:  opts.Address,
		gatherer: opts.Gatherer,
		log:      opts.Logger,
		checks:   map[string]Check{},
		mux:      http.NewServeMux(),
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprintln(w, "ok") })
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	if opts.EnablePprof {
		s.mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		s.mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		s.mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		s.mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		s.mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return s
}

// AddReadinessCheck registers a named readiness check.
func (s *Server) AddReadinessCheck(name string, check Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks[name] = check
}

// Handle mounts an extra handler (for example "GET /api/status").
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// Name implements runner.Runner.
func (s *Server) Name() string { return "admin" }

// Listen binds the listening socket, so that callers know the address before Start.
func (s *Server) Listen() error {
	l, err := net.Listen("tcp", s.address)
	if err != nil {
		return fmt.Errorf("admin listener on %s: %w", s.address, err)
	}
	s.listener = l
	return nil
}

// Close releases the listening socket of a server that will not be started.
func (s *Server) Close() error {
	if s.listener == nil {
		return nil
	}
	return s.listener.Close()
}

// Addr returns the bound address (after Listen).
func (s *Server) Addr() string {
	if s.listener == nil {
		return s.address
	}
	return s.listener.Addr().String()
}

// Start serves until ctx is done, then shuts down gracefully.
func (s *Server) Start(ctx context.Context) error {
	if s.listener == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	errCh := make(chan error, 1)
	go func() { errCh <- srv.Serve(s.listener) }()
	s.log.Info("admin listener started", "address", s.Addr())
	select {
	case err := <-errCh:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errCh; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	s.mu.RLock()
	names := make([]string, 0, len(s.checks))
	for name := range s.checks {
		names = append(names, name)
	}
	slices.Sort(names)
	var failed []string
	for _, name := range names {
		if err := s.checks[name](); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", name, err))
		}
	}
	s.mu.RUnlock()
	if len(failed) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, f := range failed {
			_, _ = fmt.Fprintln(w, "not ready:", f)
		}
		return
	}
	_, _ = fmt.Fprintln(w, "ok")
}
