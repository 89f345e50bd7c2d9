package coredns

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/net/dns/dnsmessage"
)

// TestMain fails the package when a test leaves goroutines behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// suiteCorefile is the Corefile of the conformance suite's base manifests.
const suiteCorefile = `.:53 {
    forward . 8.8.8.8 9.9.9.9
    log
    errors
}
foo.bar.com:53 {
  whoami
}
`

func TestParseCorefile(t *testing.T) {
	blocks, err := parseCorefile([]byte(suiteCorefile))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].zones[0] != "." || blocks[1].zones[0] != "foo.bar.com." || blocks[1].port != 53 ||
		len(blocks[0].plugins["forward"]) != 3 || blocks[1].plugins["whoami"] == nil {
		t.Errorf("blocks %+v", blocks)
	}
	for in, want := range map[string]string{
		".:53 {\n cache 30\n}\n":                `plugin "cache" is not supported`,
		".:53 {\n forward . 1.1.1.1 {\n }\n}\n": "plugin blocks are not supported",
		".:53 {\n log\n":                        "not closed",
		".:53\n":                                "must open with '{'",
		"a:53 b:54 {\n}\n":                      "one port",
		"# nothing\n":                           "no server block",
		".:99999 {\n}\n":                        "bad port",
	} {
		if _, err := parseCorefile([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestConfigFromArgs(t *testing.T) {
	read := func(p string) ([]byte, error) {
		if p == "/root/Corefile" {
			return []byte(suiteCorefile), nil
		}
		return nil, fmt.Errorf("open %s: no such file", p)
	}
	c, err := ConfigFromArgs([]string{"-conf", "/root/Corefile"}, read)
	if err != nil || string(c.Corefile) != suiteCorefile {
		t.Errorf("config %q, %v", c.Corefile, err)
	}
	if _, err := ConfigFromArgs([]string{"-bogus"}, read); err == nil {
		t.Error("an unknown flag was accepted")
	}
	if _, err := ConfigFromArgs(nil, read); err == nil || !strings.Contains(err.Error(), "Corefile") {
		t.Errorf("the default Corefile path: %v", err)
	}
}

// freePort returns a port free for both TCP and UDP on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		_ = ln.Close()
		if err == nil {
			_ = pc.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// query builds a query for name.
func query(t *testing.T, name string) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 42, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		t.Fatal(err)
	}
	if err := b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}); err != nil {
		t.Fatal(err)
	}
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestServer(t *testing.T) {
	port, dead := freePort(t), freePort(t)
	corefile := fmt.Sprintf(".:%d {\n forward . 127.0.0.1:%d\n log\n errors\n}\nfoo.bar.com:%d {\n whoami\n}\n", port, dead, port)
	log := &logBuffer{}
	s, err := Start(t.Context(), Config{Corefile: []byte(corefile), Addr: netip.MustParseAddr("127.0.0.1"), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// whoami over UDP: the client's address in the additional section.
	resp := exchangeUDP(t, addr, query(t, "www.foo.bar.com."))
	var p dnsmessage.Parser
	h, err := p.Start(resp)
	if err != nil || h.ID != 42 || h.RCode != dnsmessage.RCodeSuccess || !h.Authoritative {
		t.Fatalf("whoami header %+v, %v", h, err)
	}
	if err := p.SkipAllQuestions(); err != nil {
		t.Fatal(err)
	}
	_ = p.SkipAllAnswers()
	_ = p.SkipAllAuthorities()
	extra, err := p.AllAdditionals()
	if err != nil || len(extra) != 2 || extra[0].Body.(*dnsmessage.AResource).A != [4]byte{127, 0, 0, 1} {
		t.Errorf("whoami additionals %v, %v", extra, err)
	}
	// forward to a dead upstream over TCP: SERVFAIL, logged.
	resp = exchangeTCP(t, addr, query(t, "example.com."))
	if h, err := new(dnsmessage.Parser).Start(resp); err != nil || h.RCode != dnsmessage.RCodeServerFailure {
		t.Errorf("forward to a dead upstream: %+v, %v", h, err)
	}
	if out := log.String(); !strings.Contains(out, `"A IN example.com. tcp`) || !strings.Contains(out, "SERVFAIL") ||
		!strings.Contains(out, "[ERROR] example.com. A: plugin/forward: no upstream answered") {
		t.Errorf("log:\n%s", out)
	}
}

func exchangeUDP(t *testing.T, addr string, msg []byte) []byte {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

func exchangeTCP(t *testing.T, addr string, msg []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if err := binary.Write(c, binary.BigEndian, uint16(len(msg))); err != nil { //nolint:gosec // small
		t.Fatal(err)
	}
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	var size uint16
	if err := binary.Read(c, binary.BigEndian, &size); err != nil {
		t.Fatal(err)
	}
	resp := make([]byte, size)
	if _, err := io.ReadFull(c, resp); err != nil {
		t.Fatal(err)
	}
	return resp
}
