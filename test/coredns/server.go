package coredns

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// upstreamTimeout bounds each forward attempt.
const upstreamTimeout = 2 * time.Second

// Config configures a Server.
type Config struct {
	// Corefile is the configuration's content.
	Corefile []byte
	// Addr is the address to serve on (the Pod's IP).
	Addr netip.Addr
	// Log receives the log and errors plugins' lines (the container's stdout).
	Log io.Writer
}

// ConfigFromArgs reads the container's command line ("-conf <path>") and
// the Corefile it names. Addr and Log are left to the caller.
func ConfigFromArgs(args []string, readFile func(string) ([]byte, error)) (Config, error) {
	fs := flag.NewFlagSet("coredns", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	conf := fs.String("conf", "Corefile", "Corefile to load")
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("coredns: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("coredns: unexpected arguments %v", fs.Args())
	}
	data, err := readFile(*conf)
	if err != nil {
		return Config{}, fmt.Errorf("coredns: reading -conf %s: %w", *conf, err)
	}
	return Config{Corefile: data}, nil
}

// Server serves a Corefile's blocks.
type Server struct {
	cfg     Config
	mu      sync.Mutex
	closers []io.Closer
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// Start binds every port of the Corefile (UDP and TCP) and serves until
// Stop or until ctx ends.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	blocks, err := parseCorefile(cfg.Corefile)
	if err != nil {
		return nil, err
	}
	byPort := map[int][]serverBlock{}
	for _, b := range blocks {
		byPort[b.port] = append(byPort[b.port], b)
	}
	s := &Server{cfg: cfg, conns: map[net.Conn]struct{}{}}
	for port, bs := range byPort {
		if err := s.listen(netip.AddrPortFrom(cfg.Addr, uint16(port)), bs); err != nil { //nolint:gosec // a port
			return nil, errors.Join(err, s.Stop(context.Background()))
		}
	}
	go func() {
		<-ctx.Done()
		_ = s.Stop(context.Background())
	}()
	return s, nil
}

// Ready reports that the server listens: Start returns once it does.
func (s *Server) Ready() bool { return true }

// Stop closes the listeners and connections and waits for the goroutines.
func (s *Server) Stop(context.Context) error {
	s.mu.Lock()
	closers := s.closers
	s.closers = nil
	for c := range s.conns {
		closers = append(closers, c)
	}
	s.mu.Unlock()
	var errs []error
	for _, c := range closers {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// listen serves the blocks of one port over UDP and TCP.
func (s *Server) listen(addr netip.AddrPort, blocks []serverBlock) error {
	pc, err := net.ListenPacket("udp", addr.String())
	if err != nil {
		return fmt.Errorf("coredns: %w", err)
	}
	ln, err := net.Listen("tcp", addr.String())
	if err != nil {
		_ = pc.Close()
		return fmt.Errorf("coredns: %w", err)
	}
	s.mu.Lock()
	s.closers = append(s.closers, pc, ln)
	s.mu.Unlock()
	_, _ = fmt.Fprintf(s.cfg.Log, "%s:%d\n", strings.Join(zonesOf(blocks), " "), addr.Port())
	s.wg.Go(func() { s.serveUDP(pc, blocks) })
	s.wg.Go(func() { s.serveTCP(ln, blocks) })
	return nil
}

func zonesOf(blocks []serverBlock) []string {
	var out []string
	for _, b := range blocks {
		out = append(out, b.zones...)
	}
	return out
}

func (s *Server) serveUDP(pc net.PacketConn, blocks []serverBlock) {
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		client := from.(*net.UDPAddr).AddrPort()
		resp := s.handle(append([]byte(nil), buf[:n]...), client, "udp", blocks)
		if resp != nil {
			_, _ = pc.WriteTo(resp, from)
		}
	}
}

func (s *Server) serveTCP(ln net.Listener, blocks []serverBlock) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				_ = c.Close()
			}()
			client := c.RemoteAddr().(*net.TCPAddr).AddrPort()
			for {
				var size uint16
				if err := binary.Read(c, binary.BigEndian, &size); err != nil {
					return
				}
				req := make([]byte, size)
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				resp := s.handle(req, client, "tcp", blocks)
				if resp == nil {
					return
				}
				if err := binary.Write(c, binary.BigEndian, uint16(len(resp))); err != nil { //nolint:gosec // DNS messages fit
					return
				}
				if _, err := c.Write(resp); err != nil {
					return
				}
			}
		})
	}
}
