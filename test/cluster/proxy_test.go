package cluster

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
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
	p := &serviceProxy{log: logr.Discard(), frontends: map[types.NamespacedName]map[frontendKey]forwarder{}}
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

	if err := p.sync(svc, map[frontendKey][]netip.AddrPort{{corev1.ProtocolTCP, front}: {a, b}}); err != nil {
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
	if err := p.sync(svc, map[frontendKey][]netip.AddrPort{{corev1.ProtocolTCP, front}: nil}); err != nil {
		t.Fatal(err)
	}
	if _, err := read(front); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("a Service without endpoints: %v, want a reset", err)
	}

	// An address this machine does not have cannot be bound: the error says which.
	bad := netip.MustParseAddrPort("203.0.113.77:80")
	err = p.sync(svc, map[frontendKey][]netip.AddrPort{{corev1.ProtocolTCP, bad}: {a}})
	if err == nil || !strings.Contains(err.Error(), "listening on TCP 203.0.113.77:80") {
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

// udpEcho answers every datagram with its name and the datagram.
func udpEcho(t *testing.T, name string) netip.AddrPort {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	go func() {
		buf := make([]byte, 1024)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteToUDPAddrPort([]byte(name+":"+string(buf[:n])), from)
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// exchange sends a datagram on c and returns the reply; the deadline only
// keeps a lost datagram from hanging the test.
func exchange(t *testing.T, c net.Conn, msg string) string {
	t.Helper()
	if err := c.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestServiceProxyUDP(t *testing.T) {
	p := &serviceProxy{log: logr.Discard(), frontends: map[types.NamespacedName]map[frontendKey]forwarder{}}
	t.Cleanup(func() {
		if err := p.closeAll(); err != nil {
			t.Error(err)
		}
	})
	svc := types.NamespacedName{Namespace: "ns", Name: "dns"}
	a, b := udpEcho(t, "a"), udpEcho(t, "b")
	tcp := echoListener(t, "tcp")
	// UDP and TCP frontends share a port number: they are different sockets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).AddrPort()
	_ = ln.Close()
	want := map[frontendKey][]netip.AddrPort{{corev1.ProtocolUDP, port}: {a, b}, {corev1.ProtocolTCP, port}: {tcp}}
	if err := p.sync(svc, want); err != nil {
		t.Fatal(err)
	}
	if s, err := read(port); err != nil || s != "tcp" {
		t.Errorf("TCP on the shared port: %q, %v", s, err)
	}

	// Each client is a session: its datagrams all go to one endpoint, and
	// new clients go round robin.
	got := map[string]int{}
	for i := range 4 {
		c, err := net.Dial("udp", port.String())
		if err != nil {
			t.Fatal(err)
		}
		first := exchange(t, c, "x")
		if again := exchange(t, c, "y"); again[:1] != first[:1] || again[1:] != ":y" {
			t.Errorf("client %d: second reply %q after %q, want the same endpoint", i, again, first)
		}
		_ = c.Close()
		got[first]++
	}
	if got["a:x"] != 2 || got["b:x"] != 2 {
		t.Errorf("UDP sessions over two endpoints: %v", got)
	}

	// Dropping the frontends closes them.
	if err := p.sync(svc, nil); err != nil {
		t.Fatal(err)
	}
	if len(p.frontends) != 0 {
		t.Errorf("frontends left: %v", p.frontends)
	}
}
