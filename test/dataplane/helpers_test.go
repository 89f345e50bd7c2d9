package dataplane_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"

	"github.com/envoygw/envoy-gateway/internal/infra/bootstrap"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
	"github.com/envoygw/envoy-gateway/test/dataplane"
)

// waitTimeout bounds every wait for a condition: generous for a loaded
// 2-core machine; conditions are polled, never assumed after a sleep.
const waitTimeout = 30 * time.Second

const fleet = "default/eg"

// podIP is a loopback address of the test's own (emulated pod network).
func podIP() netip.Addr {
	return netip.AddrFrom4([4]byte{127, 80 + byte(rand.IntN(40)), byte(rand.IntN(250) + 1), byte(rand.IntN(250) + 1)})
}

func logger(t *testing.T) logr.Logger { return testr.NewWithOptions(t, testr.Options{Verbosity: 0}) }

// xdsServer runs our xDS server in plaintext on loopback until the test
// ends.
func xdsServer(t *testing.T) (*server.Server, uint32) {
	t.Helper()
	s, err := server.New(server.Options{Address: "127.0.0.1", Port: 0, Plaintext: true, Logger: logger(t).WithName("xds-server")})
	if err != nil {
		t.Fatal(err)
	}
	return s, startServer(t, s)
}

// startBackground runs a listening server until the test ends.
func startBackground(t *testing.T, s *server.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Start(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// serve translates x and makes it the fleet's configuration.
func serve(t *testing.T, s *server.Server, x *ir.Xds) {
	t.Helper()
	res, err := translator.Translate(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) > 0 {
		t.Fatalf("translation warnings: %v", res.Warnings)
	}
	if _, err := s.Update(fleet, res); err != nil {
		t.Fatal(err)
	}
}

// files is an in-memory container filesystem.
type files map[string][]byte

func (f files) read(p string) ([]byte, error) {
	if b, ok := f[p]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("open %s: no such file or directory", p)
}

// startProxy starts a data plane with the bootstrap of opts at
// /etc/envoy/envoy.yaml and stops it when the test ends.
func startProxy(t *testing.T, opts bootstrap.Options, pod netip.Addr, extraArgs ...string) *dataplane.Proxy {
	t.Helper()
	b, err := bootstrap.Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	y, err := bootstrap.YAML(b)
	if err != nil {
		t.Fatal(err)
	}
	fs := files{"/etc/envoy/envoy.yaml": y}
	args := append([]string{"--config-path", "/etc/envoy/envoy.yaml", "--log-level", "info"}, extraArgs...)
	p, err := dataplane.Start(context.Background(), dataplane.Options{
		Args: args, ReadFile: fs.read, PodIP: pod, Logger: logger(t).WithName("dataplane"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return p
}

func plainBootstrap(xdsPort uint32) bootstrap.Options {
	return bootstrap.Options{
		Fleet: fleet, NodeID: "node",
		Xds:   bootstrap.Xds{Host: "127.0.0.1", Port: xdsPort, ConnectTimeout: 5 * time.Second},
		Admin: bootstrap.Address{Host: "127.0.0.1", Port: 0},
	}
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, detail := cond()
		if ok {
			return
		}
		last = detail
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s (last: %s)", what, waitTimeout, last)
}

func waitReady(t *testing.T, p *dataplane.Proxy) {
	t.Helper()
	eventually(t, "proxy ready", func() (bool, string) { return p.Ready(), "not ready" })
}

// echo is what the test backends answer: who they are and what they got.
type echo struct {
	Backend string              `json:"backend"`
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"`
	Proto   string              `json:"proto"`
}

// backend is an HTTP/1.1 echo server on loopback.
func backend(t *testing.T, name string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: echoHandler(name), ReadHeaderTimeout: waitTimeout}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() { _ = srv.Close(); wg.Wait() })
	return netip.MustParseAddrPort(ln.Addr().String())
}

func echoHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echo{Backend: name, Method: r.Method, Path: r.RequestURI, Host: r.Host,
			Headers: r.Header, Proto: r.Proto})
	})
}

// client is an HTTP client that does not pool connections across tests.
func client(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: waitTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// response is a response read whole.
type response struct {
	status int
	header http.Header
	body   string
	echo   *echo
}

func get(c *http.Client, url, host string) (*response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Host = host
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := &response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		out.echo = &echo{}
		if err := json.Unmarshal(b, out.echo); err != nil {
			return nil, err
		}
	}
	return out, nil
}
