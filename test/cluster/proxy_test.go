package cluster

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
)

// echoListener accepts connections and answers each with its name.
func echoListener(t *testing.T, name string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, name)
			_ = c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// read connects to addr and reads until EOF.
func read(addr netip.AddrPort) (string, error) {
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		return "", err
	}
	defer func() { _ = c.Close() }()
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestServiceProxySync(t *testing.T) {
	p := &serviceProxy{log: logr.Discard(), frontends: map[types.NamespacedName]map[netip.AddrPort]*frontend{}}
	t.Cleanup(func() {
		if err := p.closeAll(); err != nil {
			t.Error(err)
		}
	})
	svc := types.NamespacedName{Namespace: "ns", Name: "web"}
	a, b := echoListener(t, "a"), echoListener(t, "b")
	// A frontend needs a fixed port: take one that was free a moment ago.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := ln.Addr().(*net.TCPAddr).AddrPort()
	_ = ln.Close()

	if err := p.sync(svc, map[netip.AddrPort][]netip.AddrPort{front: {a, b}}); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for range 4 {
		s, err := read(front)
		if err != nil {
			t.Fatal(err)
		}
		got[s]++
	}
	if got["a"] != 2 || got["b"] != 2 {
		t.Errorf("round robin over two endpoints: %v", got)
	}

	// Without endpoints, connections are reset.
	if err := p.sync(svc, map[netip.AddrPort][]netip.AddrPort{front: nil}); err != nil {
		t.Fatal(err)
	}
	if _, err := read(front); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("a Service without endpoints: %v, want a reset", err)
	}

	// An address this machine does not have cannot be bound: the error says which.
	bad := netip.MustParseAddrPort("203.0.113.77:80")
	err = p.sync(svc, map[netip.AddrPort][]netip.AddrPort{bad: {a}})
	if err == nil || !strings.Contains(err.Error(), "listening on 203.0.113.77:80") {
		t.Errorf("binding an address that is not local: %v", err)
	}

	// Dropping the frontends closes them.
	if err := p.sync(svc, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := read(front); err == nil {
		t.Error("a closed frontend still accepts")
	}
}
